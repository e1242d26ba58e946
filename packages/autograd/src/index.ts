/**
 * @packageDocumentation
 * `@tapegrad/autograd` — under construction; see DESIGN.md.
 */
export {};
