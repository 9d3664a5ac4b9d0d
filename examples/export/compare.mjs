// Runs an exported ONNX file on the rows an export recipe wrote to its reference file, with onnxruntime-node (the
// runtime the action uses), and prints the largest difference from the training library's own predictions.
// Exit 0 when it is within the reference's tolerance, 1 when not, 2 on wrong usage.
//
//   node examples/export/compare.mjs /tmp/numerai-export-my_xgb.json
//
// Outside a clone of this repository, `npm install onnxruntime-node` next to it first.
import { readFile } from 'node:fs/promises';
import { InferenceSession, Tensor } from 'onnxruntime-node';

const file = process.argv[2];
if (!file) {
  console.error('usage: node compare.mjs <reference.json written by an export recipe>');
  process.exit(2);
}
const reference = JSON.parse(await readFile(file, 'utf8'));
const { model, onnx, output, column, tolerance, rows, library } = reference;

const session = await InferenceSession.create(onnx);
const width = rows[0].length;
// Missing values travel as null in JSON and reach the model as NaN, as the engine feeds them.
const input = new Tensor('float32', Float32Array.from(rows.flat(), (v) => (v === null ? Number.NaN : v)), [rows.length, width]);
const result = await session.run({ [session.inputNames[0]]: input }, [output]);
const tensor = result[output];
const columns = tensor.dims.length === 2 ? Number(tensor.dims[1]) : 1;
const pick = column ?? 0;
if (pick >= columns) {
  console.error(`${model}: output "${output}" has ${columns} column(s); there is no column ${pick}`);
  process.exit(1);
}

let largest = 0;
let at = 0;
for (let row = 0; row < rows.length; row++) {
  const difference = Math.abs(Number(tensor.data[row * columns + pick]) - library[row]);
  if (!(difference <= largest)) {
    largest = difference;
    at = row;
  }
}
const verdict = largest <= tolerance ? 'ok' : 'TOO FAR APART';
console.log(
  `${model}: largest difference between the library and the ONNX file over ${rows.length} rows: ${largest.toExponential(2)} ` +
    `(row ${at}; tolerance ${tolerance}): ${verdict}`,
);
process.exit(largest <= tolerance ? 0 : 1);
