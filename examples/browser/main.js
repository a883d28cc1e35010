// Classify every digit of digits.json with model.onnx in onnxruntime-web (WebAssembly, one thread),
// show them, and with ?report=URL post the predictions there (the test suite's check).
import * as ort from "./node_modules/onnxruntime-web/dist/ort.wasm.min.mjs";

ort.env.wasm.wasmPaths = new URL("./node_modules/onnxruntime-web/dist/", location.href).href;
ort.env.wasm.numThreads = 1;

const status = document.getElementById("status");

function argmax(row) {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

function draw(pixels, label, predicted) {
  const figure = document.createElement("figure");
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 8;
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(8, 8);
  pixels.forEach((v, i) => {
    const shade = 255 - Math.round((v / 16) * 255);
    image.data.set([shade, shade, shade, 255], i * 4);
  });
  ctx.putImageData(image, 0, 0);
  const caption = document.createElement("figcaption");
  caption.textContent = `${predicted}`;
  if (predicted !== label) figure.className = "wrong";
  figure.append(canvas, caption);
  document.getElementById("digits").append(figure);
}

async function main() {
  const digits = await (await fetch("digits.json")).json();
  const session = await ort.InferenceSession.create("model.onnx", { executionProviders: ["wasm"] });
  const n = digits.images.length;
  const input = new ort.Tensor("float32", Float32Array.from(digits.images.flat()), [n, ...digits.shape]);
  const output = (await session.run({ [session.inputNames[0]]: input }))[session.outputNames[0]];
  const classes = output.dims[1];
  const predictions = [];
  for (let i = 0; i < n; i++) predictions.push(argmax(output.data.slice(i * classes, (i + 1) * classes)));
  predictions.forEach((p, i) => draw(digits.images[i], digits.labels[i], p));
  const correct = predictions.filter((p, i) => p === digits.labels[i]).length;
  status.textContent = `${correct} of ${n} test digits classified correctly (${(100 * correct / n).toFixed(1)}%)`;
  return predictions;
}

const report = new URLSearchParams(location.search).get("report");
main().then(
  (predictions) => report && fetch(report, { method: "POST", body: JSON.stringify({ predictions }) }),
  (error) => {
    status.textContent = `failed: ${error}`;
    if (report) fetch(report, { method: "POST", body: JSON.stringify({ error: String(error) }) });
  });
