// The playground's chat tab: two conversations with the same messages, one unsteered and one steered, each reply
// streamed from the server's /v1/chat/completions (which applies the model's chat template). Each side keeps its
// own history, so a steered reply shapes the steered conversation only. Shares app.js's settings and helpers.
"use strict";

const conversations = { unsteered: [], steered: [] };   // each side's messages so far, as the API takes them
let chatting = null;                                    // the AbortController of the turn in flight

function showTab(name) {
  const chat = name === "chat";
  $("tab-compare").setAttribute("aria-selected", String(!chat));
  $("tab-chat").setAttribute("aria-selected", String(chat));
  for (const id of ["compare-controls", "compare-actions", "compare-columns"]) $(id).hidden = chat;
  for (const id of ["chat-controls", "chat-actions", "chat-columns"]) $(id).hidden = !chat;
  setStatus(chat && !hasChatTemplate ? "This model has no chat template, so it cannot chat; use Compare." : "", chat && !hasChatTemplate);
  $("send").disabled = chat && !hasChatTemplate;
}

function bubble(column, role, text) {
  const node = document.createElement("div");
  node.className = `msg ${role}`;
  const label = document.createElement("span");
  label.className = "role";
  label.textContent = role;
  const body = document.createElement("span");
  body.className = "text";
  body.textContent = text;
  node.append(label, body);
  column.appendChild(node);
  return node;
}

function chatRequest(messages, steering) {
  const body = {
    model,
    messages,
    max_tokens: Number($("max-tokens").value),
    temperature: Number($("temperature").value),
    top_p: Number($("top-p").value),
    frequency_penalty: Number($("frequency-penalty").value),
    seed: Number($("seed").value),
    stream: true,
  };
  if (steering) body.steering = steering;
  return body;
}

// Streams one reply's deltas into its bubble; returns the reply's text and finish reason.
async function streamReply(body, node, signal) {
  const text = node.querySelector(".text");
  let finish = null;
  await postEvents("/v1/chat/completions", body, signal, (chunk) => {
    for (const choice of chunk.choices) {
      if (choice.delta.content) text.textContent += choice.delta.content;
      if (choice.finish_reason) finish = choice.finish_reason;
    }
  });
  const mark = document.createElement("span");
  mark.className = "finish";
  mark.textContent = `[${finish}]`;
  node.append(mark);
  return text.textContent;
}

function chatSteering() {
  const additions = readPairs();
  if (additions.length === 0) return null;
  const steering = { additions, location: $("location").value, short_prompt: $("short-prompt").value };
  if ($("chat-positions").value) steering.positions = $("chat-positions").value;
  if ($("skip-special").checked) steering.skip_special_tokens = true;
  return steering;
}

async function send() {
  const message = $("message").value;
  if (!message.trim()) { setStatus("Write a message first.", true); return; }
  const steering = chatSteering();
  if (!steering) { setStatus("Add a steering pair first.", true); return; }
  const system = $("system").value.trim();
  const sides = [["unsteered", null], ["steered", steering]];
  const turns = sides.map(([side]) => [
    ...(system ? [{ role: "system", content: system }] : []),
    ...conversations[side],
    { role: "user", content: message },
  ]);
  chatting = new AbortController();
  $("send").disabled = true;
  setStatus("Generating…");
  const started = performance.now();
  const nodes = sides.map(([side]) => {
    const column = $(`chat-${side}`);
    bubble(column, "user", message);
    return bubble(column, "assistant", "");
  });
  try {
    // Both sides go at once with the same seed, so the server batches them and they differ only by the steering.
    const replies = await Promise.all(sides.map(([, s], i) => streamReply(chatRequest(turns[i], s), nodes[i], chatting.signal)));
    sides.forEach(([side], i) => conversations[side].push({ role: "user", content: message }, { role: "assistant", content: replies[i] }));
    $("message").value = "";
    setStatus(`Done in ${((performance.now() - started) / 1000).toFixed(1)} s (seed ${$("seed").value}).`);
  } catch (error) {
    chatting.abort();
    // A failed turn leaves no trace in either history.
    for (const node of nodes) {
      node.previousSibling?.remove();
      node.remove();
    }
    setStatus(error.name === "AbortError" ? "Stopped." : error.message, error.name !== "AbortError");
  } finally {
    chatting = null;
    $("send").disabled = false;
  }
}

function resetChat() {
  chatting?.abort();
  conversations.unsteered = [];
  conversations.steered = [];
  $("chat-unsteered").replaceChildren();
  $("chat-steered").replaceChildren();
  setStatus("");
}

$("tab-compare").addEventListener("click", () => showTab("compare"));
$("tab-chat").addEventListener("click", () => showTab("chat"));
$("send").addEventListener("click", send);
$("reset-chat").addEventListener("click", resetChat);
$("message").addEventListener("keydown", (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) send(); });
