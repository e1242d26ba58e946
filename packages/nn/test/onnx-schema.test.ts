// The committed protobuf descriptor of onnx.proto is what the generator makes of the committed .proto: the schema
// the ONNX entry encodes and decodes with cannot drift from its source.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { descriptorPath, onnxDescriptorText, protoPath } from '../onnx-schema/generate.js';

describe('ONNX schema', () => {
  it('src/onnx/onnx-schema.json is onnx-schema/onnx.proto compiled (pnpm onnx:schema regenerates it)', () => {
    const proto = readFileSync(protoPath, 'utf8');
    expect(proto).toMatch(/^syntax = "proto2";$/m);
    expect(proto).toContain('message ModelProto');
    expect(readFileSync(descriptorPath, 'utf8')).toBe(onnxDescriptorText(proto));
  });
});
