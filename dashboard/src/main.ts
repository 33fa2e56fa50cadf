// The dashboard's entry: the design tokens on the document, then the shell.
import { tokens } from "./styles/tokens.js";
import "./components/et-app.js";

if (tokens.styleSheet) document.adoptedStyleSheets = [...document.adoptedStyleSheets, tokens.styleSheet];
