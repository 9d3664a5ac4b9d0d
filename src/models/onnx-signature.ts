/**
 * What an ONNX model takes and gives (its signature), read from the file itself, without onnxruntime.
 *
 * Why: opening a session to read four names and shapes builds every tree of the model. For Numerai's example shape
 * that is 1.5 s and 80 MB at its peak; for a 100 MB ensemble, seconds and most of a gigabyte. The run then built
 * the same session again to predict, and a run with everything already submitted built them all for nothing.
 * Reading the graph's inputs and outputs from the protobuf costs a few milliseconds whatever the model's size: the
 * nodes (where the trees are) are stepped over, never decoded.
 *
 * The result is what onnxruntime reports (its inputMetadata and outputMetadata, see onnx-session.ts readSignature):
 * the graph's inputs that no initializer feeds, element types by onnxruntime-node's names, symbolic or unknown
 * dimensions as null. Whether onnxruntime can run the model is still for onnxruntime to say: `check` opens a session
 * (load.ts), and a run finds out when it opens the session to predict.
 *
 * The messages are onnx.proto3's (ModelProto, GraphProto, ValueInfoProto, TypeProto, TensorShapeProto, TensorProto);
 * the wire format is protobuf's (protobuf.ts).
 */
import type { OnnxSignature, ValueInfo } from './onnx-session.js';
import { message, readMessage, text } from './protobuf.js';

/** TensorProto.DataType → onnxruntime-node's type names (its backend's dataTypeStrings). */
const ELEMENT_TYPES: Record<number, string> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
  14: 'complex64',
  15: 'complex128',
  16: 'bfloat16',
  21: 'uint4',
  22: 'int4',
};

/** TensorShapeProto → dimensions, null where symbolic or unset. */
function shapeOf(bytes: Uint8Array): (number | null)[] | null {
  const dims: (number | null)[] = [];
  readMessage(bytes, (field, value) => {
    if (field !== 1) return;
    let dim: number | null = null;
    readMessage(message(value), (f, v) => {
      if (f === 1 && typeof v === 'number') dim = v;
      else if (f === 2) dim = null;
    });
    dims.push(dim);
  });
  // onnxruntime reports a shape with no dimensions as unknown: a scalar is not a usable prediction either way.
  return dims.length === 0 ? null : dims;
}

/** ValueInfoProto → ValueInfo. Only a tensor type counts as a tensor (sequences, maps, sparse tensors do not). */
function valueInfo(bytes: Uint8Array): ValueInfo {
  let name = '';
  let tensor: { type: string; shape: (number | null)[] | null } | undefined;
  readMessage(bytes, (field, value) => {
    if (field === 1) name = text(value);
    else if (field === 2) {
      readMessage(message(value), (kind, body) => {
        if (kind !== 1) return; // TypeProto.tensor_type
        let type = 'undefined';
        let shape: (number | null)[] | null = null;
        readMessage(message(body), (f, v) => {
          if (f === 1 && typeof v === 'number') type = ELEMENT_TYPES[v] ?? `data type ${v}`;
          else if (f === 2) shape = shapeOf(message(v));
        });
        tensor = { type, shape };
      });
    }
  });
  return tensor ? { name, isTensor: true, ...tensor } : { name, isTensor: false };
}

/** The name of a TensorProto (field 8), or of a SparseTensorProto's values tensor. */
function tensorName(bytes: Uint8Array, sparse: boolean): string | undefined {
  let name: string | undefined;
  readMessage(bytes, (field, value) => {
    if (sparse && field === 1) name = tensorName(message(value), false);
    else if (!sparse && field === 8) name = text(value);
  });
  return name;
}

/** Reads the model's inputs and outputs. Throws when the bytes are not an ONNX model (with where they stop being one). */
export function readOnnxSignature(bytes: Uint8Array): OnnxSignature {
  let graph: Uint8Array | undefined;
  readMessage(bytes, (field, value) => {
    if (field === 7) graph = message(value); // ModelProto.graph
  });
  if (!graph) throw new Error('it holds no graph (not an ONNX model)');
  const inputs: ValueInfo[] = [];
  const outputs: ValueInfo[] = [];
  const initializers = new Set<string>();
  readMessage(graph, (field, value) => {
    if (field === 11) inputs.push(valueInfo(message(value)));
    else if (field === 12) outputs.push(valueInfo(message(value)));
    else if (field === 5 || field === 15) {
      const name = tensorName(message(value), field === 15);
      if (name !== undefined) initializers.add(name);
    }
  });
  if (outputs.length === 0) throw new Error('its graph has no outputs (not an ONNX model)');
  // A graph input that an initializer feeds is a constant with a default (IR version 3 listed every weight this way):
  // onnxruntime does not count it as an input.
  return { inputs: inputs.filter((input) => !initializers.has(input.name)), outputs };
}
