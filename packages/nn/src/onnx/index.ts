/**
 * @packageDocumentation
 * `@tapegrad/nn/onnx` — models in and out as ONNX (docs/interop.md): {@link exportOnnx} writes opset-13 protobuf
 * bytes that ONNX Runtime, PyTorch tooling and other engines read, and {@link importOnnx} reads the MLPs that
 * `torch.onnx.export` and other exporters write. It is an entry of its own because it needs a protobuf library
 * (protobufjs, with the descriptor of ONNX's onnx.proto): the main entry `@tapegrad/nn` stays free of dependencies.
 * Browser-safe (bytes in, bytes out); reading and writing files is `@tapegrad/nn/node`'s `importOnnxFile` and
 * `exportOnnxFile`.
 *
 * @module \@tapegrad/nn/onnx
 */
export { exportOnnx, ONNX_OPSET } from './export.js';
export { importOnnx, type ImportOnnxOptions } from './import.js';
