// The page GET / serves: one self-contained HTML document (its CSS and JavaScript inline, nothing
// fetched from elsewhere, no build step). For a translation model: a sentence in, the translation
// with its beam alternatives and scores, and the attention of the best one as a heat map — cross-
// attention first, the encoder's and decoder's self-attention one click away, any layer, any head
// or their mean. For a decoder-only model: a prompt, and the continuation as it streams in. For an
// encoder-only model: the embedding of a text. `?text=…` on the URL translates at once (the
// headless-browser check, scripts/check-page.sh, loads it that way).
enum ServerPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>transformer serve</title>
<style>
  :root { --ink: #1d2330; --muted: #667085; --line: #d0d5dd; --accent: #3056d3; --bg: #f8f9fb; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
  header { padding: 14px 24px; background: #fff; border-bottom: 1px solid var(--line); display: flex; gap: 16px; align-items: baseline; flex-wrap: wrap; }
  header h1 { font-size: 18px; margin: 0; }
  header span { color: var(--muted); font-size: 13px; }
  main { max-width: 1100px; margin: 0 auto; padding: 20px 24px; }
  section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 16px; margin-bottom: 16px; }
  textarea { width: 100%; min-height: 64px; font: inherit; padding: 8px; border: 1px solid var(--line); border-radius: 6px; resize: vertical; }
  .row { display: flex; gap: 12px; align-items: center; flex-wrap: wrap; margin-top: 10px; }
  label { color: var(--muted); font-size: 13px; }
  input[type=number] { width: 72px; font: inherit; padding: 3px 6px; }
  button { font: inherit; padding: 6px 14px; border-radius: 6px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
  button.tab { background: #fff; color: var(--accent); }
  button.tab.on { background: var(--accent); color: #fff; }
  button:disabled { opacity: .5; cursor: default; }
  #translation { font-size: 20px; margin: 4px 0 8px; }
  table.alts { border-collapse: collapse; width: 100%; }
  table.alts td { padding: 4px 8px; border-top: 1px solid var(--line); }
  table.alts td.score { color: var(--muted); text-align: right; font-variant-numeric: tabular-nums; width: 110px; }
  #error { color: #b42318; white-space: pre-wrap; }
  #heatmap { overflow-x: auto; }
  #heatmap svg text { font-size: 12px; fill: var(--ink); }
  pre#output { white-space: pre-wrap; font: 14px/1.4 ui-monospace, Menlo, monospace; min-height: 120px; margin: 0; }
  .hidden { display: none; }
  .muted { color: var(--muted); font-size: 13px; }
</style>
</head>
<body>
<header><h1>transformer serve</h1><span id="model">loading the model description…</span></header>
<main>
  <div id="error"></div>

  <div id="translate-ui" class="hidden">
    <section>
      <textarea id="source" placeholder="A sentence to translate">Zwei Hunde spielen im Schnee.</textarea>
      <div class="row">
        <button id="translate">Translate</button>
        <label>beam <input id="beam" type="number" min="1" max="16" value="4"></label>
        <label>alternatives <input id="nbest" type="number" min="1" max="16" value="4"></label>
        <span class="muted" id="timing"></span>
      </div>
    </section>
    <section id="result" class="hidden">
      <div class="muted">translation</div>
      <div id="translation"></div>
      <table class="alts" id="alternatives"></table>
    </section>
    <section id="attention" class="hidden">
      <div class="row" style="margin-top:0">
        <span id="sites"></span>
        <label>layer <select id="layer"></select></label>
        <label>head <select id="head"></select></label>
      </div>
      <p class="muted" id="axes"></p>
      <div id="heatmap"></div>
    </section>
  </div>

  <div id="generate-ui" class="hidden">
    <section>
      <textarea id="prompt" placeholder="A prompt">ROMEO:</textarea>
      <div class="row">
        <button id="generate">Generate</button>
        <button id="stop" class="tab" disabled>Stop</button>
        <label>max tokens <input id="maxtokens" type="number" min="1" value="300"></label>
        <label>temperature <input id="temperature" type="number" min="0" step="0.1" value="0.8"></label>
        <label>top-k <input id="topk" type="number" min="1" value="40"></label>
        <label>seed <input id="seed" type="number" min="0" value="1"></label>
        <span class="muted" id="genstats"></span>
      </div>
    </section>
    <section><pre id="output"></pre></section>
  </div>

  <div id="embed-ui" class="hidden">
    <section>
      <textarea id="embedtext">A sentence to embed.</textarea>
      <div class="row"><button id="embed">Embed</button></div>
      <pre id="embedding" class="muted"></pre>
    </section>
  </div>
</main>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
let maps = null, site = "cross";

function showError(message) { $("error").textContent = message || ""; }

async function postJSON(path, body) {
  const response = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  const data = await response.json().catch(() => ({ error: "HTTP " + response.status }));
  if (!response.ok) throw new Error(data.error || ("HTTP " + response.status));
  return data;
}

async function translate() {
  showError("");
  const beam = Math.max(1, parseInt($("beam").value) || 1);
  const nbest = Math.min(beam, Math.max(1, parseInt($("nbest").value) || 1));
  $("translate").disabled = true;
  const started = performance.now();
  try {
    const data = await postJSON("/v1/translate", { text: $("source").value, beam: beam, n_best: nbest, attention: true });
    const t = data.translations[0];
    $("timing").textContent = Math.round(performance.now() - started) + " ms";
    $("translation").textContent = t.text;
    const table = $("alternatives");
    table.innerHTML = "";
    t.hypotheses.forEach((h, i) => {
      const row = table.insertRow();
      row.insertCell().textContent = (i + 1) + ". " + h.text;
      const score = row.insertCell();
      score.className = "score";
      score.textContent = h.score.toFixed(3);
      score.title = "log P = " + h.log_probability.toFixed(3) + ", " + h.tokens + " tokens";
    });
    $("result").classList.remove("hidden");
    maps = t.attention || null;
    $("attention").classList.toggle("hidden", !maps);
    if (maps) { setupSites(); }
  } catch (e) {
    showError(e.message);
  } finally {
    $("translate").disabled = false;
  }
}

function setupSites() {
  const holder = $("sites");
  holder.innerHTML = "";
  for (const s of maps.sites) {
    const b = document.createElement("button");
    b.className = "tab" + (s.site === site ? " on" : "");
    b.textContent = s.title;
    b.onclick = () => { site = s.site; setupSites(); };
    holder.appendChild(b);
    holder.appendChild(document.createTextNode(" "));
  }
  const current = maps.sites.find((s) => s.site === site) || maps.sites[0];
  const layer = $("layer"), head = $("head");
  const keepLayer = layer.value, keepHead = head.value;
  layer.innerHTML = current.layers.map((_, i) => `<option value="${i}">${i + 1}</option>`).join("");
  head.innerHTML = `<option value="mean">mean</option>` + current.layers[0].map((_, i) => `<option value="${i}">${i + 1}</option>`).join("");
  layer.value = keepLayer && keepLayer < current.layers.length ? keepLayer : String(current.layers.length - 1);
  head.value = keepHead && (keepHead === "mean" || keepHead < current.layers[0].length) ? keepHead : "mean";
  draw();
}

function draw() {
  const current = maps.sites.find((s) => s.site === site) || maps.sites[0];
  const heads = current.layers[parseInt($("layer").value)];
  const which = $("head").value;
  const rows = current.query_tokens.length, cols = current.key_tokens.length;
  const weight = (i, j) => which === "mean" ? heads.reduce((a, h) => a + h[i][j], 0) / heads.length : heads[parseInt(which)][i][j];
  $("axes").textContent = "rows: " + current.query_axis + " · columns: " + current.key_axis + " · darker is more attention";
  const cell = Math.max(14, Math.min(34, Math.floor(640 / Math.max(cols, 1))));
  const measure = (labels) => Math.min(160, 12 + 8 * Math.max(1, ...labels.map((l) => l.length)));
  const left = measure(current.query_tokens), top = measure(current.key_tokens);
  const width = left + cols * cell + 4, height = top + rows * cell + 4;
  const esc = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  let svg = `<svg width="${width}" height="${height}" role="img" aria-label="${esc(current.title)} heat map">`;
  current.key_tokens.forEach((t, j) => {
    const x = left + j * cell + cell / 2;
    svg += `<text x="${x}" y="${top - 6}" transform="rotate(-60 ${x} ${top - 6})">${esc(t)}</text>`;
  });
  current.query_tokens.forEach((t, i) => {
    svg += `<text x="${left - 6}" y="${top + i * cell + cell * 0.65}" text-anchor="end">${esc(t)}</text>`;
    for (let j = 0; j < cols; j++) {
      const w = weight(i, j) || 0;
      const shade = Math.round(255 * (1 - Math.min(1, Math.max(0, w))));
      svg += `<rect class="cell" x="${left + j * cell}" y="${top + i * cell}" width="${cell - 1}" height="${cell - 1}" fill="rgb(${shade},${shade},255)"><title>${esc(t)} → ${esc(current.key_tokens[j])}: ${w.toFixed(3)}</title></rect>`;
    }
  });
  $("heatmap").innerHTML = svg + "</svg>";
}

async function generate() {
  showError("");
  $("output").textContent = $("prompt").value;
  $("generate").disabled = true;
  $("stop").disabled = false;
  const controller = new AbortController();
  $("stop").onclick = () => controller.abort();
  const started = performance.now();
  let tokens = 0;
  try {
    const body = { prompt: $("prompt").value, max_tokens: parseInt($("maxtokens").value) || 100,
                   temperature: parseFloat($("temperature").value), top_k: parseInt($("topk").value) || undefined,
                   seed: parseInt($("seed").value) || 0 };
    const response = await fetch("/v1/generate", { method: "POST", headers: { "Content-Type": "application/json" },
                                                   body: JSON.stringify(body), signal: controller.signal });
    if (!response.ok) { const e = await response.json(); throw new Error(e.error); }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block.split("\n").find((l) => l.startsWith("data: "));
        if (!data) continue;
        const event = JSON.parse(data.slice(6));
        if (block.startsWith("event: done")) { tokens = event.tokens; continue; }
        $("output").textContent += event.text;
        tokens += 1;
      }
      $("genstats").textContent = tokens + " tokens, " + (tokens / ((performance.now() - started) / 1000)).toFixed(0) + " tokens/s";
    }
  } catch (e) {
    if (e.name !== "AbortError") showError(e.message);
  } finally {
    $("generate").disabled = false;
    $("stop").disabled = true;
  }
}

async function embed() {
  showError("");
  try {
    const data = await postJSON("/v1/embed", { input: $("embedtext").value });
    const v = data.embeddings[0];
    $("embedding").textContent = data.dimension + " dimensions (" + data.pooling + (data.normalized ? ", normalised" : "") + "):\n" +
      v.slice(0, 16).map((x) => x.toFixed(4)).join(" ") + (v.length > 16 ? " …" : "");
  } catch (e) { showError(e.message); }
}

async function start() {
  let model;
  try { model = await (await fetch("/v1/model")).json(); } catch (e) { showError("cannot read /v1/model: " + e.message); return; }
  const langs = model.languages ? ` · ${model.languages.source} → ${model.languages.target}` : "";
  $("model").textContent = `${model.directory} · ${model.family} · ${model.parameters.toLocaleString("en")} parameters · ${model.precision}${langs}`;
  if (model.family === "encoder-decoder") {
    $("translate-ui").classList.remove("hidden");
    $("beam").max = model.limits.max_beam;
    $("nbest").max = model.limits.max_beam;
    $("beam").value = Math.min(model.default_beam || 4, model.limits.max_beam);
    $("translate").onclick = translate;
    $("layer").onchange = draw;
    $("head").onchange = draw;
    const text = new URLSearchParams(location.search).get("text");
    if (text) { $("source").value = text; translate(); }
  } else if (model.family === "decoder-only") {
    $("generate-ui").classList.remove("hidden");
    $("generate").onclick = generate;
  } else {
    $("embed-ui").classList.remove("hidden");
    $("embed").onclick = embed;
  }
}
start();
</script>
</body>
</html>
"""#
}
