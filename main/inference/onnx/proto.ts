/**
 * The ONNX protobuf schema, from the `onnx-proto` package (protobufjs-generated, ONNX v1.10, IR version 8). The
 * package is CommonJS with a single `onnx` namespace export; this module is the only place that imports it.
 */
import onnxProto from 'onnx-proto';

export const onnx = onnxProto.onnx;
export type ModelProto = onnxProto.onnx.ModelProto;
export type IModelProto = onnxProto.onnx.IModelProto;
export type INodeProto = onnxProto.onnx.INodeProto;
export type ITensorProto = onnxProto.onnx.ITensorProto;
export type IAttributeProto = onnxProto.onnx.IAttributeProto;
export type IValueInfoProto = onnxProto.onnx.IValueInfoProto;

/** IR version written by the builder (ONNX 1.10's, which every onnxruntime release since 1.10 reads). */
export const IR_VERSION = 8;
