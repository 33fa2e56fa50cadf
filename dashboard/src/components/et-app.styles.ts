import { css } from "lit";
import { controls } from "../styles/tokens.js";

export const appStyles = [
  controls,
  css`
    :host {
      display: flex;
      flex-direction: column;
      min-height: 100vh;
      background: var(--bg);
      color: var(--text);
    }
    .skip {
      position: absolute;
      left: -9999px;
    }
    .skip:focus {
      left: var(--space-3);
      top: var(--space-3);
      z-index: 10;
      background: var(--bg-elev);
      padding: var(--space-2) var(--space-3);
    }
    header {
      display: flex;
      align-items: center;
      gap: var(--space-3);
      padding: var(--space-2) var(--space-4);
      border-bottom: 1px solid var(--border);
      background: var(--bg-recessed);
      position: sticky;
      top: 0;
      z-index: 5;
    }
    .brand {
      font-family: var(--font-serif);
      font-size: var(--size-lg);
      color: var(--text);
      text-decoration: none;
      letter-spacing: 0.02em;
    }
    .link {
      flex: 1;
    }
    .badge {
      display: inline-block;
      font-size: var(--size-sm);
      font-weight: 600;
      padding: 2px var(--space-3);
      border-radius: 999px;
      background: var(--warn-bg);
      color: var(--text);
      border: 1px solid var(--warn);
    }
    .menu {
      display: none;
      font-size: 20px;
      min-width: 40px;
      padding: 0;
    }
    .body {
      flex: 1;
      display: grid;
      grid-template-columns: 250px minmax(0, 1fr);
      min-height: 0;
    }
    nav {
      border-right: 1px solid var(--border);
      background: var(--bg-recessed);
      padding: var(--space-4);
      display: flex;
      flex-direction: column;
      gap: var(--space-3);
    }
    nav h2 {
      font-family: var(--font-sans);
      font-size: var(--size-sm);
      font-weight: 700;
      text-transform: uppercase;
      letter-spacing: 0.08em;
      color: var(--text-muted);
    }
    nav ul {
      list-style: none;
      margin: 0;
      padding: 0;
      display: flex;
      flex-direction: column;
      gap: 2px;
    }
    nav li a {
      display: flex;
      flex-direction: column;
      gap: 2px;
      padding: var(--space-2) var(--space-3);
      border-radius: var(--radius-sm);
      color: var(--text);
      text-decoration: none;
    }
    nav li a:hover {
      background: var(--surface-hover);
    }
    nav li a[aria-current="page"] {
      background: var(--accent-bg);
    }
    .name {
      font-weight: 600;
      overflow-wrap: anywhere;
    }
    .new {
      margin-top: var(--space-2);
    }
    .aside {
      font-size: var(--size-sm);
      color: var(--text-muted);
    }
    .aside[aria-current="page"] {
      color: var(--text);
      font-weight: 700;
    }
    main {
      padding: var(--space-5);
      min-width: 0;
      outline: none;
    }
    main > et-notice {
      margin-bottom: var(--space-4);
    }
    .missing,
    .loading {
      max-width: 640px;
      margin: var(--space-7) auto;
      display: flex;
      flex-direction: column;
      gap: var(--space-3);
      align-items: flex-start;
    }
    @media (max-width: 800px) {
      .menu {
        display: inline-flex;
      }
      .body {
        grid-template-columns: minmax(0, 1fr);
      }
      nav {
        display: none;
        position: fixed;
        inset: 53px 0 auto 0;
        z-index: 4;
        max-height: calc(100vh - 53px);
        overflow: auto;
        border-right: 0;
        border-bottom: 1px solid var(--border);
        box-shadow: var(--shadow);
      }
      nav.open {
        display: flex;
      }
      main {
        padding: var(--space-4) var(--space-3);
      }
      et-theme-picker {
        transform: scale(0.92);
        transform-origin: right;
      }
    }
  `,
];
