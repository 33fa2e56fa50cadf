import type { Request, Response } from "express";
import type Joi from "joi";

/** Which precondition a route has (SPEC §6): config and lifecycle need her to exist, live needs her running. */
export type RouteKind = "config" | "live" | "lifecycle" | "meta" | "openai";

export interface UploadField {
  /** Multipart field name. */
  name: string;
  /** At most this many files under this name. */
  maxCount: number;
  required: boolean;
  description: string;
}

export interface UploadSpec {
  files: UploadField[];
  /** The text fields, validated like a JSON body once the parts are read. */
  fields: Joi.ObjectSchema;
  /**
   * Decides, as soon as a part's file name is known and before any byte of it is kept,
   * whether the file is taken and how large it may be. Throws `Unsupported` (415).
   */
  accept(ctx: RouteContext, field: string, fileName: string): Promise<{ maxBytes: number }> | { maxBytes: number };
}

export interface UploadedFile {
  field: string;
  name: string;
  mimeType: string;
  path: string;
  size: number;
}

export interface RouteContext<P = any, Q = any, B = any> {
  params: P;
  query: Q;
  body: B;
  files: UploadedFile[];
  req: Request;
  res: Response;
}

export interface Reply {
  status?: number;
  body: unknown;
}

export interface ResponseDoc {
  description: string;
  schema?: Joi.Schema;
  /** Non-JSON responses (downloads, pages): the content type, or every one it may be. */
  contentType?: string | string[];
}

/** One route: everything about it in one object, from which validation and the OpenAPI document are derived. */
export interface Route {
  method: "get" | "post";
  /** Express-style path, `/api/persona/:id/start`. */
  path: string;
  summary: string;
  description?: string;
  tag: string;
  kind: RouteKind;
  params?: Joi.ObjectSchema;
  query?: Joi.ObjectSchema;
  body?: Joi.ObjectSchema;
  upload?: UploadSpec;
  responses: Record<number, ResponseDoc>;
  /** Error statuses this route can answer with, besides 422 and 500. */
  errors: number[];
  /**
   * The shape of its error bodies: `detail` (`{detail}`, the /api surface) or `openai`
   * (`{error: {message, type, code, param}}`, which OpenAI's SDKs parse; a validation
   * failure is then a 400 naming the param). Default `detail`.
   */
  errorFormat?: "detail" | "openai";
  handler(ctx: RouteContext): Promise<Reply>;
}

/** Identity helper that keeps route literals typed. */
export const route = (r: Route): Route => r;
