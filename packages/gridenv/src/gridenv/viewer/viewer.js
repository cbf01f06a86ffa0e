// gridenv viewer: draws a gridenv replay (docs/replays.md) on a canvas, or a live world in play mode.
// No build step and nothing fetched from elsewhere: this file, index.html and viewer.css are all of it.
// Replays are untrusted: every string from them reaches the page through textContent, never as HTML.
"use strict";
(function () {
  const FORMAT = "gridenv-replay";
  const VERSION = 1;
  const KEYFRAME = 64; // a full copy of the world every KEYFRAME frames: seeking costs at most KEYFRAME steps of changes
  const STREAMS = ["agent_changes", "converter_changes", "tile_changes", "marker_changes", "kinship_changes", "rewards"];
  // Colours as gridenv.render draws them, so pictures and the viewer agree.
  const EMPTY = [235, 235, 228], WALL = [70, 70, 78];
  const GROUP = [[31, 119, 180], [214, 39, 40], [44, 160, 44], [148, 103, 189], [255, 127, 14], [23, 190, 207],
    [227, 119, 194], [140, 86, 75], [188, 189, 34], [127, 127, 127]];
  const CONVERTER = { mine: [120, 200, 230], charger: [250, 200, 40], altar: [200, 60, 160] };
  const CONVERTER_FALLBACK = [[90, 170, 120], [170, 120, 60], [100, 100, 200], [200, 150, 150]];
  const MARKER = [[20, 20, 20], [255, 255, 255], [255, 80, 200], [0, 200, 200], [250, 250, 0]];
  const rgb = (c, a) => (a === undefined ? `rgb(${c[0]},${c[1]},${c[2]})` : `rgba(${c[0]},${c[1]},${c[2]},${a})`);

  const $ = (id) => document.getElementById(id);
  const canvas = $("map"), ctx = canvas.getContext("2d");
  const ui = {
    file: $("file"), play: $("play"), back: $("back"), forward: $("forward"), speed: $("speed"), timeline: $("timeline"),
    stepLabel: $("stepLabel"), fit: $("fit"), drop: $("drop"), status: $("status"), about: $("aboutList"),
    agentSelect: $("agentSelect"), agentInfo: $("agentInfo"), kinInfo: $("kinInfo"), keysBox: $("keysBox"),
    keysTable: $("keysTable"), personName: $("personName"), legend: $("legend"),
  };

  let model = null;          // the replay being shown
  let frame = 0;             // the frame on screen
  let view = null;           // the world at `frame` (a working copy)
  let selected = -1;         // the agent whose panel and observation window are shown
  let playing = false, speed = 10, carry = 0, lastTick = 0;
  let cell = 16, ox = 0, oy = 0; // zoom (CSS px per cell) and pan (CSS px)
  let staticLayer = null, staticKey = -1;
  let live = null;           // play mode: {socket, agent, keys: Map key -> action name}
  const timings = {};

  function setStatus(text, isError) {
    ui.status.textContent = text;
    ui.status.classList.toggle("error", !!isError);
    if (isError) api.lastError = text;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // The model: a replay document turned into arrays, keyframes and per-frame offsets into the change streams.
  // ---------------------------------------------------------------------------------------------------------------
  function fail(message) { throw new Error("not a valid gridenv replay: " + message); }
  function isInt(v) { return Number.isInteger(v); }
  function intIn(v, lo, hi, what) { if (!isInt(v) || v < lo || v > hi) fail(`${what}: expected an int in [${lo}, ${hi}]`); return v; }
  function strings(v, what) {
    if (!Array.isArray(v) || !v.every((s) => typeof s === "string")) fail(`${what}: expected a list of strings`);
    return v;
  }

  function buildModel(doc) {
    if (!doc || typeof doc !== "object" || Array.isArray(doc)) fail("the document is not an object");
    if (doc.format !== FORMAT) fail(`format: expected ${FORMAT}`);
    if (doc.version !== VERSION) fail(`version ${String(doc.version).slice(0, 20)}, this viewer reads ${VERSION}`);
    const A = intIn(doc.num_agents, 1, 4096, "num_agents");
    const H = intIn(doc.height, 1, 4096, "height"), W = intIn(doc.width, 1, 4096, "width");
    const names = doc.names || fail("names missing");
    const fields = strings(names.agent_fields, "names.agent_fields");
    strings(names.actions, "names.actions"); strings(names.resources, "names.resources");
    strings(names.converters, "names.converters"); strings(names.agents, "names.agents");
    const F = fields.length;
    const init = doc.initial || fail("initial missing");
    if (!Array.isArray(init.agents) || init.agents.length !== A) fail("initial.agents");
    const agents = new Int32Array(A * F);
    init.agents.forEach((row, a) => {
      if (!Array.isArray(row) || row.length !== F) fail("initial.agents row");
      row.forEach((v, f) => { agents[a * F + f] = v; });
    });
    if (!Array.isArray(init.tiles) || init.tiles.length !== H * W) fail("initial.tiles");
    const tiles = Uint8Array.from(init.tiles);
    const convs = Array.isArray(init.converters) ? init.converters : fail("initial.converters");
    const conv = new Int32Array(convs.length * 2);
    convs.forEach((c, i) => { conv[2 * i] = c[3]; conv[2 * i + 1] = c[4]; });
    const kin = new Float32Array(A * A);
    if (!Array.isArray(init.kinship) || init.kinship.length !== A) fail("initial.kinship");
    init.kinship.forEach((row, a) => row.forEach((v, b) => { kin[a * A + b] = v; }));
    const groups = Array.isArray(doc.groups) && doc.groups.length === A ? doc.groups : fail("groups");
    const m = {
      doc, A, H, W, F, T: 0, fields, groups,
      convPos: convs.map((c) => [c[0], c[1], c[2]]),
      actions: [], success: [], order: [],
      streams: {},
      keyframes: [],
      tail: null,
      obsH: doc.obs_height | 0, obsW: doc.obs_width | 0,
      maxUses: names.converters.map((n) => (((doc.config || {}).game || {}).converters || {})[n]?.max_uses || 0),
    };
    for (const name of STREAMS) m.streams[name] = { offsets: [0], cols: [[], [], []] };
    const start = { t: 0, agents, conv, tiles, markers: new Uint8Array(H * W), kin };
    m.keyframes.push(copyState(start));
    m.tail = start;
    appendSteps(m, doc.steps || fail("steps missing"), intIn(doc.num_steps, 0, 1e7, "num_steps"));
    return m;
  }

  function copyState(s) {
    return { t: s.t, agents: s.agents.slice(), conv: s.conv.slice(), tiles: s.tiles.slice(), markers: s.markers.slice(),
      kin: s.kin.slice() };
  }

  // Append n steps (a document's "steps", or one step streamed by play mode) and extend the keyframes.
  function appendSteps(m, steps, n) {
    const A = m.A;
    for (const key of ["actions", "action_success", "action_order"]) {
      const values = steps[key];
      if (!Array.isArray(values) || values.length !== n * A) fail(`steps.${key}: expected ${n} x ${A} values`);
    }
    if (m.T === 0 && n > 0) {
      m.actions = steps.actions; m.success = steps.action_success; m.order = steps.action_order;
    } else {
      for (let i = 0; i < n * A; i++) {
        m.actions.push(steps.actions[i]); m.success.push(steps.action_success[i]); m.order.push(steps.action_order[i]);
      }
    }
    for (const name of STREAMS) {
      const stream = steps[name];
      if (!stream || !Array.isArray(stream.per_step) || stream.per_step.length !== n) fail(`steps.${name}.per_step`);
      const keys = Object.keys(stream).filter((k) => k !== "per_step");
      if (keys.length !== 3) fail(`steps.${name}: expected 3 columns`);
      const s = m.streams[name];
      let total = s.offsets[s.offsets.length - 1];
      for (const count of stream.per_step) {
        if (!isInt(count) || count < 0) fail(`steps.${name}.per_step`);
        total += count; s.offsets.push(total);
      }
      keys.forEach((key, c) => {
        const column = stream[key];
        if (!Array.isArray(column)) fail(`steps.${name}.${key}`);
        if (s.cols[c].length === 0) s.cols[c] = column.slice(); else for (const v of column) s.cols[c].push(v);
        if (s.cols[c].length !== total) fail(`steps.${name}.${key}: ${s.cols[c].length} values, counts say ${total}`);
      });
    }
    const end = m.T + n;
    for (let t = m.T + 1; t <= end; t++) {
      applyStep(m, m.tail, t);
      if (t % KEYFRAME === 0) m.keyframes[t / KEYFRAME] = copyState(m.tail);
    }
    m.T = end;
  }

  // Apply the changes of step t (frame t-1 -> frame t) to a state, checking every index (replays are untrusted).
  function applyStep(m, s, t) {
    const { A, F, H, W } = m;
    const nConv = m.convPos.length;
    for (const name of STREAMS) {
      if (name === "rewards") continue;
      const st = m.streams[name];
      const lo = st.offsets[t - 1], hi = st.offsets[t];
      if (lo === hi) continue;
      const [c0, c1, c2] = st.cols;
      for (let j = lo; j < hi; j++) {
        const a = c0[j], b = c1[j], v = c2[j];
        if (name === "agent_changes") {
          if (!(a >= 0 && a < A && b >= 0 && b < F && isInt(v))) fail(`steps.agent_changes record ${j}`);
          s.agents[a * F + b] = v;
        } else if (name === "converter_changes") {
          if (!(a >= 0 && a < nConv)) fail(`steps.converter_changes record ${j}`);
          s.conv[2 * a] = b; s.conv[2 * a + 1] = v;
        } else if (name === "tile_changes" || name === "marker_changes") {
          if (!(a >= 0 && a < H && b >= 0 && b < W && v >= 0 && v < 256)) fail(`steps.${name} record ${j}`);
          (name === "tile_changes" ? s.tiles : s.markers)[a * W + b] = v;
        } else {
          if (!(a >= 0 && a < A && b >= 0 && b < A)) fail(`steps.kinship_changes record ${j}`);
          s.kin[a * A + b] = v;
        }
      }
    }
    s.t = t;
  }

  // The world at frame t: from the nearest keyframe at or before it (or from the frame on screen, when that is closer).
  function stateAt(t) {
    if (view && view.t === t) return view;
    let s;
    if (view && view.t < t && t - view.t <= KEYFRAME) s = view;
    else s = copyState(model.keyframes[Math.floor(t / KEYFRAME)]);
    for (let k = s.t + 1; k <= t; k++) applyStep(model, s, k);
    return s;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Drawing
  // ---------------------------------------------------------------------------------------------------------------
  function converterColour(kind) {
    const name = model.doc.names.converters[kind];
    return CONVERTER[name] || CONVERTER_FALLBACK[kind % CONVERTER_FALLBACK.length];
  }

  function resizeCanvas() {
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(canvas.clientWidth * dpr)), h = Math.max(1, Math.round(canvas.clientHeight * dpr));
    if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
    return dpr;
  }

  function fit() {
    if (!model) return;
    resizeCanvas();
    const w = canvas.clientWidth, h = canvas.clientHeight;
    cell = Math.max(2, Math.floor(Math.min(w / model.W, h / model.H)));
    ox = Math.floor((w - cell * model.W) / 2); oy = Math.floor((h - cell * model.H) / 2);
  }

  function buildStaticLayer(s) {
    const { H, W } = model;
    const layer = document.createElement("canvas");
    layer.width = W; layer.height = H;
    const lctx = layer.getContext("2d");
    const image = lctx.createImageData(W, H);
    for (let i = 0; i < H * W; i++) {
      const tile = s.tiles[i];
      const c = tile === 1 ? WALL : tile >= 3 ? converterColour(tile - 3) : EMPTY;
      image.data[4 * i] = c[0]; image.data[4 * i + 1] = c[1]; image.data[4 * i + 2] = c[2]; image.data[4 * i + 3] = 255;
    }
    lctx.putImageData(image, 0, 0);
    return layer;
  }

  function draw() {
    if (!model) return;
    const dpr = resizeCanvas();
    const s = (view = stateAt(frame));
    const { A, F, W, H } = model;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = "#15161a";
    ctx.fillRect(0, 0, canvas.clientWidth, canvas.clientHeight);
    const key = model.streams.tile_changes.offsets[frame];
    if (!staticLayer || staticKey !== key) { staticLayer = buildStaticLayer(s); staticKey = key; }
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(staticLayer, ox, oy, W * cell, H * cell);
    const c0 = Math.max(0, Math.floor(-ox / cell)), c1 = Math.min(W - 1, Math.ceil((canvas.clientWidth - ox) / cell));
    const r0 = Math.max(0, Math.floor(-oy / cell)), r1 = Math.min(H - 1, Math.ceil((canvas.clientHeight - oy) / cell));
    if (cell >= 10) { // grid lines
      ctx.strokeStyle = "rgba(0,0,0,0.08)"; ctx.lineWidth = 1; ctx.beginPath();
      for (let c = c0; c <= c1 + 1; c++) { ctx.moveTo(ox + c * cell + 0.5, oy + r0 * cell); ctx.lineTo(ox + c * cell + 0.5, oy + (r1 + 1) * cell); }
      for (let r = r0; r <= r1 + 1; r++) { ctx.moveTo(ox + c0 * cell, oy + r * cell + 0.5); ctx.lineTo(ox + (c1 + 1) * cell, oy + r * cell + 0.5); }
      ctx.stroke();
    }
    // Converters: darkened while cooling down or used up, with the steps left when there is room.
    model.convPos.forEach(([r, c, kind], i) => {
      if (r < r0 || r > r1 || c < c0 || c > c1) return;
      const left = s.conv[2 * i] - frame, used = model.maxUses[kind] > 0 && s.conv[2 * i + 1] >= model.maxUses[kind];
      if (left > 0 || used) {
        ctx.fillStyle = "rgba(0,0,0,0.45)";
        ctx.fillRect(ox + c * cell, oy + r * cell, cell, cell);
        if (cell >= 14 && left > 0) {
          ctx.fillStyle = "#fff"; ctx.font = `${Math.floor(cell * 0.5)}px sans-serif`;
          ctx.textAlign = "center"; ctx.textBaseline = "middle";
          ctx.fillText(String(left), ox + (c + 0.5) * cell, oy + (r + 0.5) * cell);
        }
      }
    });
    // Floor markers: a small diamond in the marker's colour.
    for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) {
      const v = s.markers[r * W + c];
      if (!v) continue;
      const x = ox + (c + 0.5) * cell, y = oy + (r + 0.5) * cell, d = Math.max(2, cell * 0.3);
      ctx.fillStyle = rgb(MARKER[(v - 1) % MARKER.length]);
      ctx.strokeStyle = "rgba(0,0,0,0.6)"; ctx.lineWidth = 1;
      ctx.beginPath(); ctx.moveTo(x, y - d); ctx.lineTo(x + d, y); ctx.lineTo(x, y + d); ctx.lineTo(x - d, y); ctx.closePath();
      ctx.fill(); ctx.stroke();
    }
    // Agents: the group's colour, the facing side in black (as gridenv.render), shield ring, frost when frozen, glyph.
    const edge = Math.max(1, Math.floor(cell / 4));
    for (let a = 0; a < A; a++) {
      const base = a * F;
      if (!s.agents[base + 3]) continue; // left the grid
      const r = s.agents[base], c = s.agents[base + 1], o = s.agents[base + 2];
      if (r < r0 || r > r1 || c < c0 || c > c1) continue;
      const x = ox + c * cell, y = oy + r * cell;
      ctx.fillStyle = rgb(GROUP[model.groups[a] % GROUP.length]);
      ctx.fillRect(x, y, cell, cell);
      ctx.fillStyle = "#000";
      if (o === 0) ctx.fillRect(x, y, cell, edge); else if (o === 1) ctx.fillRect(x, y + cell - edge, cell, edge);
      else if (o === 2) ctx.fillRect(x, y, edge, cell); else ctx.fillRect(x + cell - edge, y, edge, cell);
      if (s.agents[base + 7] > frame) { ctx.fillStyle = "rgba(190,230,255,0.6)"; ctx.fillRect(x, y, cell, cell); }
      if (s.agents[base + 6]) {
        ctx.strokeStyle = "#8ff"; ctx.lineWidth = Math.max(1, cell / 8);
        ctx.strokeRect(x + ctx.lineWidth / 2, y + ctx.lineWidth / 2, cell - ctx.lineWidth, cell - ctx.lineWidth);
      }
      const glyph = s.agents[base + 5];
      if (glyph > 0 && cell >= 12) {
        ctx.fillStyle = "#fff"; ctx.font = `bold ${Math.floor(cell * 0.4)}px sans-serif`;
        ctx.textAlign = "right"; ctx.textBaseline = "top";
        ctx.fillText(String(glyph - 1), x + cell - 1, y + 1);
      }
    }
    // The selected agent: outline and its observation window (egocentric, north up, centred on it).
    if (selected >= 0 && s.agents[selected * F + 3]) {
      const r = s.agents[selected * F], c = s.agents[selected * F + 1];
      const hh = Math.floor(model.obsH / 2), hw = Math.floor(model.obsW / 2);
      ctx.fillStyle = "rgba(255,255,160,0.13)";
      ctx.fillRect(ox + (c - hw) * cell, oy + (r - hh) * cell, model.obsW * cell, model.obsH * cell);
      ctx.setLineDash([6, 4]); ctx.strokeStyle = "rgba(255,240,120,0.95)"; ctx.lineWidth = 2;
      ctx.strokeRect(ox + (c - hw) * cell, oy + (r - hh) * cell, model.obsW * cell, model.obsH * cell);
      ctx.setLineDash([]); ctx.strokeStyle = "#ff0"; ctx.lineWidth = 2;
      ctx.strokeRect(ox + c * cell - 1, oy + r * cell - 1, cell + 2, cell + 2);
    }
    ui.timeline.max = String(model.T);
    ui.timeline.value = String(frame);
    ui.stepLabel.textContent = `step ${frame} / ${model.T}`;
    if (ui.aboutSteps) ui.aboutSteps.textContent = String(model.T) + (model.doc.episode_over && !live ? " (episode over)" : "");
    showAgent();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // The side panel (text only)
  // ---------------------------------------------------------------------------------------------------------------
  function row(list, term, value) {
    const dt = document.createElement("dt"), dd = document.createElement("dd");
    dt.textContent = term; dd.textContent = value;
    list.append(dt, dd);
    return dd;
  }

  function showAbout() {
    const d = model.doc;
    ui.about.replaceChildren();
    row(ui.about, "env", String(d.env));
    row(ui.about, "seed", String(d.seed));
    row(ui.about, "policy", String(d.policy || "—"));
    ui.aboutSteps = row(ui.about, "steps", "");
    row(ui.about, "agents", String(model.A));
    row(ui.about, "map", `${model.W} x ${model.H}`);
    row(ui.about, "recorded by", String(d.recorded_by || "—"));
    row(ui.about, "engine", `gridenv ${String((d.engine || {}).gridenv_version || "?")}`);
    ui.agentSelect.replaceChildren();
    const none = document.createElement("option"); none.value = "-1"; none.textContent = "—";
    ui.agentSelect.append(none);
    d.names.agents.forEach((name, a) => {
      const option = document.createElement("option");
      option.value = String(a); option.textContent = `${name} (group ${groupName(a)})`;
      ui.agentSelect.append(option);
    });
    ui.legend.replaceChildren();
    const swatch = (colour, label) => {
      const span = document.createElement("div"), box = document.createElement("span");
      box.className = "swatch"; box.style.background = rgb(colour);
      span.append(box, document.createTextNode(label)); ui.legend.append(span);
    };
    swatch(WALL, "wall");
    d.names.converters.forEach((name, k) => swatch(converterColour(k), `${name} (dark: cooling down)`));
    const groupsSeen = [...new Set(model.groups)].sort((x, y) => x - y);
    groupsSeen.forEach((g) => swatch(GROUP[g % GROUP.length], `group ${(d.names.groups || [])[g] ?? g}`));
  }

  function groupName(a) { const g = model.groups[a]; return String((model.doc.names.groups || [])[g] ?? g); }

  function showAgent() {
    ui.agentSelect.value = String(selected);
    ui.agentInfo.replaceChildren(); ui.kinInfo.replaceChildren();
    if (!model || selected < 0) return;
    const s = view, a = selected, F = model.F, base = a * F, names = model.doc.names;
    const value = (f) => s.agents[base + f];
    row(ui.agentInfo, "agent", `${names.agents[a]}${live && live.agent === a ? " (you)" : ""}`);
    row(ui.agentInfo, "group", groupName(a));
    row(ui.agentInfo, "position", value(3) ? `row ${value(0)}, col ${value(1)}, facing ${names.orientations[value(2)]}`
      : "left the grid");
    row(ui.agentInfo, "energy", String(value(8)));
    names.resources.forEach((res, k) => { if (k > 0) row(ui.agentInfo, res, String(value(8 + k))); });
    row(ui.agentInfo, "frozen", value(7) > frame ? `${value(7) - frame} steps` : "no");
    row(ui.agentInfo, "shield", value(6) ? "up" : "down");
    row(ui.agentInfo, "glyph", value(5) ? String(value(5) - 1) : "none");
    row(ui.agentInfo, "body", String(value(4)));
    if (frame > 0) {
      const act = model.actions[(frame - 1) * model.A + a];
      const ok = model.success[(frame - 1) * model.A + a];
      row(ui.agentInfo, "last action", act < 0 ? "— (not acting)" : `${names.actions[act] ?? act} (${ok ? "succeeded" : "failed"})`);
      const rw = rewardsAt(frame);
      row(ui.agentInfo, "reward", `${fmt(rw.shared[a])} (raw ${fmt(rw.raw[a])})`);
      const position = model.order.slice((frame - 1) * model.A, frame * model.A).indexOf(a);
      row(ui.agentInfo, "acted", position < 0 ? "—" : `${position + 1} of ${model.A} this step`);
    } else {
      row(ui.agentInfo, "last action", "— (frame 0)");
    }
    const weights = [];
    for (let b = 0; b < model.A; b++) { const w = s.kin[a * model.A + b]; if (w > 0) weights.push([w, b]); }
    weights.sort((x, y) => y[0] - x[0] || x[1] - y[1]);
    const lines = weights.map(([w, b]) => `${names.agents[b]}${b === a ? " (self)" : ""}: ${fmt(w)}`);
    ui.kinInfo.textContent = lines.length ? lines.join("\n") : "none";
    ui.kinInfo.style.whiteSpace = "pre";
  }

  function fmt(x) { return Number.isInteger(x) ? String(x) : x.toFixed(3); }

  function rewardsAt(t) {
    const raw = new Float32Array(model.A), shared = new Float32Array(model.A);
    const st = model.streams.rewards;
    for (let j = st.offsets[t - 1]; j < st.offsets[t]; j++) {
      const a = st.cols[0][j];
      if (a >= 0 && a < model.A) { raw[a] = st.cols[1][j]; shared[a] = st.cols[2][j]; }
    }
    return { raw, shared };
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Loading
  // ---------------------------------------------------------------------------------------------------------------
  async function inflate(buffer) {
    const stream = new Blob([buffer]).stream().pipeThrough(new DecompressionStream("deflate")); // zlib (RFC 1950)
    return await new Response(stream).text();
  }

  function show(m, startFrame) {
    model = m; view = null; staticLayer = null; staticKey = -1;
    frame = Math.min(startFrame || 0, m.T);
    selected = live ? live.agent : -1;
    if (selected >= m.A) selected = -1;
    ui.drop.classList.add("hidden");
    showAbout(); fit(); draw();
  }

  async function loadBytes(buffer, label) {
    const t0 = performance.now();
    try {
      const text = await inflate(buffer);
      const t1 = performance.now();
      const doc = JSON.parse(text);
      const t2 = performance.now();
      const m = buildModel(doc);
      const t3 = performance.now();
      stop();
      show(m, 0);
      const t4 = performance.now();
      Object.assign(timings, { decompress_ms: t1 - t0, parse_ms: t2 - t1, build_ms: t3 - t2, first_draw_ms: t4 - t3,
        load_ms: t4 - t0, bytes: buffer.byteLength });
      setStatus(`${label}: ${m.T} steps, ${m.A} agents, ${m.W} x ${m.H} (loaded in ${(t4 - t0).toFixed(0)} ms)`);
      api.ready = true;
    } catch (error) {
      setStatus(`${label}: ${error.message}`, true);
    }
  }

  async function loadUrl(url) {
    const t0 = performance.now();
    let response;
    try {
      response = await fetch(new URL(url, location.href), { cache: "no-store" });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
    } catch (error) {
      setStatus(`${url}: cannot fetch (${error.message})`, true);
      return;
    }
    const buffer = await response.arrayBuffer();
    timings.fetch_ms = performance.now() - t0;
    await loadBytes(buffer, url.split("/").pop());
    timings.total_ms = performance.now() - t0;
  }

  function loadFile(file) {
    if (!file) return;
    if (live) { setStatus("play mode: open a replay in a page of its own (gridenv replay FILE)", true); return; }
    file.arrayBuffer().then((buffer) => loadBytes(buffer, file.name));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Playback and navigation
  // ---------------------------------------------------------------------------------------------------------------
  function seek(t) {
    if (!model) return;
    frame = Math.max(0, Math.min(model.T, t | 0));
    draw();
  }
  function stop() { playing = false; ui.play.textContent = "play"; }
  function toggle() {
    if (!model) return;
    if (playing) return stop();
    if (frame >= model.T) frame = 0;
    playing = true; carry = 0; lastTick = performance.now(); ui.play.textContent = "pause";
    requestAnimationFrame(tick);
  }
  function tick(now) {
    if (!playing) return;
    carry += ((now - lastTick) / 1000) * speed; lastTick = now;
    const steps = Math.floor(carry);
    if (steps > 0) {
      carry -= steps;
      seek(frame + steps);
      if (frame >= model.T) return stop();
    }
    requestAnimationFrame(tick);
  }

  function agentAt(r, c) {
    if (!view) return -1;
    for (let a = 0; a < model.A; a++) {
      const b = a * model.F;
      if (view.agents[b + 3] && view.agents[b] === r && view.agents[b + 1] === c) return a;
    }
    return -1;
  }

  let drag = null;
  canvas.addEventListener("pointerdown", (e) => {
    drag = { x: e.clientX, y: e.clientY, ox, oy, moved: false };
    canvas.setPointerCapture(e.pointerId);
    canvas.focus();
  });
  canvas.addEventListener("pointermove", (e) => {
    if (!drag) return;
    const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
    if (drag.moved) { ox = drag.ox + dx; oy = drag.oy + dy; draw(); }
  });
  canvas.addEventListener("pointerup", (e) => {
    if (drag && !drag.moved && model) {
      const rect = canvas.getBoundingClientRect();
      const c = Math.floor((e.clientX - rect.left - ox) / cell), r = Math.floor((e.clientY - rect.top - oy) / cell);
      const a = agentAt(r, c);
      if (a >= 0 || !live) { selected = a; draw(); }
    }
    drag = null;
  });
  canvas.addEventListener("wheel", (e) => {
    if (!model) return;
    e.preventDefault();
    const rect = canvas.getBoundingClientRect();
    const mx = e.clientX - rect.left, my = e.clientY - rect.top;
    const next = Math.max(2, Math.min(160, cell * (e.deltaY < 0 ? 1.2 : 1 / 1.2)));
    ox = mx - ((mx - ox) * next) / cell; oy = my - ((my - oy) * next) / cell; cell = next;
    draw();
  }, { passive: false });

  ui.play.addEventListener("click", toggle);
  ui.back.addEventListener("click", () => { stop(); seek(frame - 1); });
  ui.forward.addEventListener("click", () => { stop(); seek(frame + 1); });
  ui.fit.addEventListener("click", () => { fit(); draw(); });
  ui.speed.addEventListener("change", () => { speed = Number(ui.speed.value) || 10; });
  ui.timeline.addEventListener("input", () => { stop(); seek(Number(ui.timeline.value)); });
  ui.agentSelect.addEventListener("change", () => { selected = Number(ui.agentSelect.value); draw(); });
  ui.file.addEventListener("change", () => loadFile(ui.file.files[0]));
  window.addEventListener("resize", () => draw());
  document.addEventListener("dragover", (e) => { e.preventDefault(); document.body.classList.add("dragging"); });
  document.addEventListener("dragleave", (e) => { if (!e.relatedTarget) document.body.classList.remove("dragging"); });
  document.addEventListener("drop", (e) => {
    e.preventDefault(); document.body.classList.remove("dragging");
    loadFile(e.dataTransfer && e.dataTransfer.files[0]);
  });

  document.addEventListener("keydown", (e) => {
    if (e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement) {
      if (e.target !== ui.timeline) return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (live) {
      if (e.key === "Enter") { e.preventDefault(); send({ type: "reset" }); return; }
      const action = live.keys.get(e.key.length === 1 ? e.key.toLowerCase() : e.key);
      if (action !== undefined) { e.preventDefault(); send({ type: "action", action }); return; }
    } else if (e.key === " ") { e.preventDefault(); toggle(); return; }
    else if (e.key === "ArrowLeft") { e.preventDefault(); stop(); seek(frame - 1); return; }
    else if (e.key === "ArrowRight") { e.preventDefault(); stop(); seek(frame + 1); return; }
    if (e.key === "[") { stop(); seek(frame - 1); }
    else if (e.key === "]") { stop(); seek(frame + 1); }
    else if (e.key === "Home") seek(0);
    else if (e.key === "End") seek(model ? model.T : 0);
    else if (e.key === "0") { fit(); draw(); }
  });

  // ---------------------------------------------------------------------------------------------------------------
  // Play mode: the live world over a websocket (gridenv play)
  // ---------------------------------------------------------------------------------------------------------------
  function send(message) {
    if (!live || live.socket.readyState !== WebSocket.OPEN) { setStatus("not connected to the play server", true); return; }
    live.socket.send(JSON.stringify(message));
  }

  function startPlay() {
    const socket = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`);
    live = { socket, agent: 0, keys: new Map() };
    setStatus("connecting to the play server…");
    socket.addEventListener("message", (event) => {
      let message;
      try { message = JSON.parse(event.data); } catch (error) { setStatus("a malformed message from the server", true); return; }
      try {
        if (message.type === "init") {
          live.agent = message.agent | 0;
          live.keys = new Map();
          ui.keysTable.replaceChildren();
          for (const { key, action } of message.keys || []) {
            live.keys.set(key.length === 1 ? key.toLowerCase() : key, action);
            const tr = document.createElement("tr"), k = document.createElement("td"), a = document.createElement("td");
            const kbd = document.createElement("kbd");
            kbd.textContent = { ArrowUp: "\u2191", ArrowDown: "\u2193", ArrowLeft: "\u2190", ArrowRight: "\u2192", " ": "space" }[key] || key;
            k.append(kbd); a.textContent = String(action); tr.append(k, a); ui.keysTable.append(tr);
          }
          ui.keysBox.hidden = false;
          show(buildModel(message.replay), message.replay.num_steps);
          ui.personName.textContent = model.doc.names.agents[live.agent] || "";
          setStatus(message.over ? "the episode is over: Enter starts a new one" :
            `you drive ${model.doc.names.agents[live.agent]}: the keys are listed on the right`);
          api.ready = true;
        } else if (message.type === "step") {
          const follow = frame === model.T;
          appendSteps(model, message.step, 1);
          if (follow) seek(model.T); else draw();
          api.liveSteps += 1;
        } else if (message.type === "episode_over") {
          setStatus(`the episode is over; its replay is saved as ${String(message.saved)}. Enter starts a new one.`);
        } else if (message.type === "error") {
          setStatus(`server: ${String(message.message)}`, true);
        }
      } catch (error) {
        setStatus(error.message, true);
      }
    });
    socket.addEventListener("close", () => setStatus("disconnected from the play server (its replay is saved when it stops)", true));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // A small API for tests and the console.
  // ---------------------------------------------------------------------------------------------------------------
  const api = {
    ready: false, lastError: null, liveSteps: 0, timings,
    get frame() { return frame; },
    get steps() { return model ? model.T : 0; },
    get selected() { return selected; },
    seek(t) { stop(); seek(t); return frame; },
    select(a) { selected = a; draw(); },
    positions(t) {
      const s = t === undefined ? view : stateAt(t);
      if (t !== undefined) view = s;
      const out = [];
      for (let a = 0; a < model.A; a++) out.push([s.agents[a * model.F], s.agents[a * model.F + 1], s.agents[a * model.F + 2]]);
      return out;
    },
    cellCenter(r, c) { return { x: ox + (c + 0.5) * cell, y: oy + (r + 0.5) * cell }; },
    pixel(r, c) {
      const dpr = window.devicePixelRatio || 1, p = api.cellCenter(r, c);
      return Array.from(ctx.getImageData(Math.floor(p.x * dpr), Math.floor(p.y * dpr), 1, 1).data);
    },
    groupColour(a) { return GROUP[model.groups[a] % GROUP.length]; },
    agentColour(a) { return GROUP[model.groups[a] % GROUP.length]; },
    scrubBenchmark(count) { // seek `count` spread-out frames, drawing each; returns ms
      const t0 = performance.now();
      for (let i = 0; i < count; i++) { frame = Math.floor(((i * 7919) % count) * model.T / count); draw(); }
      return performance.now() - t0;
    },
    send,
  };
  window.gridenvViewer = api;

  const params = new URLSearchParams(location.search);
  if (params.has("play")) startPlay();
  else if (params.get("replay")) loadUrl(params.get("replay"));
  else setStatus("open a replay (Open…, or drop a .json.z file on the page)");
})();
