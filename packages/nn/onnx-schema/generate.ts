/**
 * Compiles `onnx.proto` (ONNX v1.22.0, copied verbatim from the ONNX repository; Apache-2.0, see LICENSE beside it)
 * into the JSON descriptor `src/onnx/onnx-schema.json`, which `@tapegrad/nn/onnx` loads with protobufjs' reflection
 * (`protobufjs/light`, no .proto parser at run time). Run `pnpm onnx:schema` after replacing onnx.proto;
 * packages/nn/test/onnx-schema.test.ts fails while the committed descriptor differs from what this prints.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

/** The descriptor's text for a .proto's text: field names as written (snake_case), no comments, two-space JSON. */
export function onnxDescriptorText(protoText: string): string {
  const { root } = protobuf.parse(protoText, { keepCase: true });
  return `${JSON.stringify(root.toJSON(), null, 2)}\n`;
}

/** The committed onnx.proto (upstream text). */
export const protoPath = fileURLToPath(new URL('./onnx.proto', import.meta.url));
/** The JSON descriptor the ONNX entry loads, generated from {@link protoPath}. */
export const descriptorPath = fileURLToPath(new URL('../src/onnx/onnx-schema.json', import.meta.url));

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(descriptorPath, onnxDescriptorText(readFileSync(protoPath, 'utf8')));
  console.log(`wrote ${descriptorPath}`);
}
