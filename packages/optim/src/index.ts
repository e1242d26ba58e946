/**
 * @packageDocumentation
 * `@tapegrad/optim` — under construction; see DESIGN.md.
 */
export {};
