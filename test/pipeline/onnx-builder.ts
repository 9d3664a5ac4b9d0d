/**
 * Tiny ONNX models assembled by hand (protobuf wire format), for tests that need a model with a chosen misbehaviour:
 * `prediction = X · weights`, input `float_input` [N, width] float32, output `variable` [N, 1].
 */

function varint(value: number): number[] {
  const bytes: number[] = [];
  let v = value;
  while (v > 0x7f) {
    bytes.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  bytes.push(v);
  return bytes;
}

const key = (field: number, wireType: number) => varint((field << 3) | wireType);
const int = (field: number, value: number) => [...key(field, 0), ...varint(value)];
const bytesField = (field: number, content: ArrayLike<number>) => [...key(field, 2), ...varint(content.length), ...Array.from(content)];
const text = (field: number, value: string) => bytesField(field, new TextEncoder().encode(value));

const FLOAT = 1;

function tensorType(dims: (number | string)[]): number[] {
  const shape = dims.flatMap((dim) => bytesField(1, typeof dim === 'number' ? int(1, dim) : text(2, dim)));
  return bytesField(1, [...int(1, FLOAT), ...bytesField(2, shape)]);
}

function valueInfo(name: string, dims: (number | string)[]): number[] {
  return [...text(1, name), ...bytesField(2, tensorType(dims))];
}

export interface LinearOnnxOptions {
  /** Also list the weights among the graph's inputs, as IR version 3 exporters listed every initializer. */
  weightsAsInput?: boolean;
  /** The node's operator (default MatMul): another name makes a file that parses but onnxruntime cannot run. */
  op?: string;
}

/** A linear model with these weights (NaN and zero weights give NaN and constant predictions). */
export function linearOnnx(weights: readonly number[], options: LinearOnnxOptions = {}): Uint8Array {
  const raw = new Uint8Array(new Float32Array(weights).buffer);
  const initializer = [...int(1, weights.length), ...int(1, 1), ...int(2, FLOAT), ...text(8, 'W'), ...bytesField(9, raw)];
  const node = [...text(1, 'float_input'), ...text(1, 'W'), ...text(2, 'variable'), ...text(3, 'matmul'), ...text(4, options.op ?? 'MatMul')];
  const graph = [
    ...bytesField(1, node),
    ...text(2, 'linear'),
    ...bytesField(5, initializer),
    ...bytesField(11, valueInfo('float_input', ['N', weights.length])),
    ...(options.weightsAsInput ? bytesField(11, valueInfo('W', [weights.length, 1])) : []),
    ...bytesField(12, valueInfo('variable', ['N', 1])),
  ];
  const opset = [...text(1, ''), ...int(2, 13)];
  return new Uint8Array([...int(1, 8), ...text(2, 'numerai-autopilot-tests'), ...bytesField(7, graph), ...bytesField(8, opset)]);
}
