// The Steer playground: two streamed completions of the same prompt from the same seed, one unsteered and one
// steered, through the server's own /v1/completions. No framework and no CDN: this file is all the page runs.
"use strict";

const $ = (id) => document.getElementById(id);
let model = null;          // the served model's id
let layers = 1;            // its block count, the layer controls' range
let recipes = [];
let hasChatTemplate = false;  // whether the model has a chat template (the chat tab needs one)
let running = null;        // the AbortController of the comparison in flight

// The API key, when the server was started with one; kept for this tab only (sessionStorage), sent as a bearer token.
function apiHeaders(extra = {}) {
  const key = $("api-key").value.trim();
  return key ? { ...extra, Authorization: `Bearer ${key}` } : extra;
}

async function getJson(url) {
  const response = await fetch(url, { headers: apiHeaders() });
  if (response.status === 401) {
    $("api-key-row").hidden = false;
    throw new Error("this server needs an API key: enter it above");
  }
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

function setStatus(text, isError = false) {
  $("status").textContent = text;
  $("status").classList.toggle("error", isError);
}

function addPair(pair = { plus: "Love", minus: "Hate", layer: Math.min(6, layers - 1), coeff: 5 }) {
  const node = $("pair-template").content.firstElementChild.cloneNode(true);
  node.querySelector(".plus").value = pair.plus;
  const minus = node.querySelector(".minus");
  const hasMinus = node.querySelector(".has-minus");
  minus.value = pair.minus ?? "";
  hasMinus.checked = pair.minus !== null;
  minus.disabled = !hasMinus.checked;
  hasMinus.addEventListener("change", () => { minus.disabled = !hasMinus.checked; });
  const layer = node.querySelector(".layer");
  layer.max = String(layers - 1);
  layer.value = String(pair.layer);
  const coeff = node.querySelector(".coeff");
  const range = node.querySelector(".coeff-range");
  coeff.value = range.value = String(pair.coeff);
  coeff.addEventListener("input", () => { range.value = coeff.value; });
  range.addEventListener("input", () => { coeff.value = range.value; });
  node.querySelector(".remove").addEventListener("click", () => node.remove());
  $("pairs").appendChild(node);
}

function readPairs() {
  return [...document.querySelectorAll("#pairs .pair")].map((node) => {
    const addition = {
      plus: node.querySelector(".plus").value,
      layer: Number(node.querySelector(".layer").value),
      coeff: Number(node.querySelector(".coeff").value),
    };
    // An empty minus is BOS alone, padded (as --minus ""); without one the addition is coeff · h(plus) alone.
    if (node.querySelector(".has-minus").checked) addition.minus = node.querySelector(".minus").value;
    return addition;
  });
}

function applyRecipe(name) {
  const recipe = recipes.find((r) => r.name === name);
  if (!recipe) { $("recipe-note").textContent = ""; return; }
  $("prompt").value = recipe.prompt;
  $("max-tokens").value = String(recipe.tokens);
  $("pairs").replaceChildren();
  for (const a of recipe.additions) addPair({ plus: a.plus, minus: a.minus, layer: a.layer, coeff: a.coeff });
  const scaled = recipe.additions.some((a) => a.layer !== a.post_layer);
  $("recipe-note").textContent = `The post reports: ${recipe.outcome}.` +
    (scaled ? ` Layers scaled from GPT-2-XL's ${recipe.additions.map((a) => a.post_layer).join(", ")} to this model's ${layers} blocks.` : "");
}

function request(steering) {
  const body = {
    model,
    prompt: $("prompt").value,
    max_tokens: Number($("max-tokens").value),
    temperature: Number($("temperature").value),
    top_p: Number($("top-p").value),
    frequency_penalty: Number($("frequency-penalty").value),
    n: Number($("n").value),
    seed: Number($("seed").value),
    stream: true,
  };
  if (steering) body.steering = steering;
  return body;
}

function completionNode(column, index, prompt) {
  let node = column.querySelector(`[data-index="${index}"]`);
  if (!node) {
    node = document.createElement("p");
    node.className = "completion";
    node.dataset.index = String(index);
    const head = document.createElement("span");
    head.className = "prompt";
    head.textContent = prompt;
    const text = document.createElement("span");
    text.className = "text";
    node.append(head, text);
    const siblings = [...column.children].filter((c) => Number(c.dataset.index) < index);
    column.insertBefore(node, siblings.length ? siblings[siblings.length - 1].nextSibling : column.firstChild);
  }
  return node;
}

// POSTs a streaming request and hands each OpenAI-style server-sent event ("data: {...}\n\n", ending with
// "data: [DONE]") to onChunk, parsed; an error answer or an error event throws with the server's message.
async function postEvents(url, body, signal, onChunk) {
  const response = await fetch(url, {
    method: "POST",
    headers: apiHeaders({ "Content-Type": "application/json" }),
    body: JSON.stringify(body),
    signal,
  });
  if (!response.ok) {
    const error = await response.json().catch(() => null);
    throw new Error(error?.error?.message ?? `HTTP ${response.status}`);
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = event.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
      if (!data || data === "[DONE]") continue;
      const chunk = JSON.parse(data);
      if (chunk.error) throw new Error(chunk.error.message);
      onChunk(chunk);
    }
  }
}

// Streams a completion's choices into a column.
async function stream(body, column, signal) {
  await postEvents("/v1/completions", body, signal, (chunk) => {
    for (const choice of chunk.choices) {
      const node = completionNode(column, choice.index, body.prompt);
      node.querySelector(".text").textContent += choice.text;
      if (choice.finish_reason) {
        const finish = document.createElement("span");
        finish.className = "finish";
        finish.textContent = `[${choice.finish_reason}]`;
        node.append(finish);
      }
    }
  });
}

async function compare() {
  const additions = readPairs();
  if (additions.length === 0) { setStatus("Add a steering pair first.", true); return; }
  const steering = { additions, location: $("location").value, short_prompt: $("short-prompt").value };
  $("unsteered").replaceChildren();
  $("steered").replaceChildren();
  running = new AbortController();
  $("run").disabled = true;
  $("stop").disabled = false;
  setStatus("Generating…");
  const started = performance.now();
  try {
    // Both sides go at once with the same seed, so the server batches them and they differ only by the steering.
    await Promise.all([
      stream(request(null), $("unsteered"), running.signal),
      stream(request(steering), $("steered"), running.signal),
    ]);
    setStatus(`Done in ${((performance.now() - started) / 1000).toFixed(1)} s (seed ${$("seed").value}).`);
  } catch (error) {
    if (error.name === "AbortError") setStatus("Stopped.");
    else { running.abort(); setStatus(error.message, true); }
  } finally {
    running = null;
    $("run").disabled = false;
    $("stop").disabled = true;
  }
}

async function loadModel() {
  try {
    const models = await getJson("/v1/models");
    model = models.data[0].id;
    layers = models.data[0].layers;
    hasChatTemplate = models.data[0].chat_template;
    $("model-info").textContent = `Model: ${model} (${layers} blocks, d_model ${models.data[0].d_model}, context ${models.data[0].context_length}).`;
    recipes = (await getJson("/v1/recipes")).data;
    $("recipe").replaceChildren($("recipe").firstElementChild);
    for (const recipe of recipes) {
      const option = document.createElement("option");
      option.value = recipe.name;
      option.textContent = `${recipe.name}: ${recipe.additions.map((a) => a.minus === null ? a.plus : `${a.plus} − ${a.minus}`).join(" + ")}`;
      $("recipe").appendChild(option);
    }
    $("recipe").value = "love-hate";
    applyRecipe("love-hate");
    setStatus("");
    document.body.dataset.ready = "true";
  } catch (error) {
    setStatus(`Could not reach the server: ${error.message}`, true);
  }
}

async function init() {
  $("run").addEventListener("click", compare);
  $("stop").addEventListener("click", () => running?.abort());
  $("add-pair").addEventListener("click", () => addPair());
  $("recipe").addEventListener("change", (e) => applyRecipe(e.target.value));
  $("api-key").value = sessionStorage.getItem("steer-api-key") ?? "";
  $("api-key").addEventListener("change", () => {
    sessionStorage.setItem("steer-api-key", $("api-key").value.trim());
    loadModel();
  });
  await loadModel();
}

init();
