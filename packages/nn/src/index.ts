/**
 * @packageDocumentation
 * `@tapegrad/nn` — under construction; see DESIGN.md.
 */
export {};
