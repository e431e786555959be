// StyleFarm dashboard: the queue, a job's frames and the workers, kept live by the coordinator's event
// streams (docs/HTTP.md). Plain JavaScript, no build step; everything it loads comes from the coordinator.
"use strict";

const state = { token: localStorage.getItem("stylefarm.token") || "", role: "", streams: new Map(), timers: [], view: 0 };

function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") element.className = value;
    else if (key.startsWith("on")) element.addEventListener(key.slice(2), value);
    else if (value !== undefined && value !== null && value !== false) element.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

function withToken(path) {
  if (!state.token) return path;
  return path + (path.includes("?") ? "&" : "?") + "access_token=" + encodeURIComponent(state.token);
}

async function api(method, path, body) {
  const headers = {};
  if (state.token) headers["Authorization"] = "Bearer " + state.token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (_) { data = null; }
  if (response.status === 401) { showLogin(data && data.error ? data.error.message : ""); throw new Error("unauthenticated"); }
  if (!response.ok) throw new Error(data && data.error ? data.error.message : response.status + " " + text);
  return data;
}

function showLogin(message) {
  const dialog = document.getElementById("login");
  document.getElementById("login-error").textContent = message || "";
  if (!dialog.open) dialog.showModal();
}

document.getElementById("login-form").addEventListener("submit", () => {
  state.token = document.getElementById("token").value.trim();
  localStorage.setItem("stylefarm.token", state.token);
  start();
});

function closeStreams() {
  state.view += 1;
  for (const source of state.streams.values()) source.close();
  state.streams.clear();
  for (const timer of state.timers) clearInterval(timer);
  state.timers = [];
}

function canChange() { return state.role === "admin" || state.role === "submitter"; }

function stateBadge(name) { return h("span", { class: "state " + name }, name); }

function bar(fraction, small) {
  const width = Math.max(0, Math.min(1, fraction || 0)) * 100;
  return h("span", { class: small ? "bar small" : "bar" }, h("span", { style: `width:${width.toFixed(1)}%` }));
}

function duration(seconds) {
  if (!isFinite(seconds) || seconds < 0) return "—";
  if (seconds < 60) return Math.round(seconds) + " s";
  if (seconds < 3600) return Math.round(seconds / 60) + " min";
  return (seconds / 3600).toFixed(1) + " h";
}

function finished(job) { return ["completed", "failed", "cancelled"].includes(job.state); }

/// Seconds left, from the rate frames finished at since the job was submitted.
function eta(job) {
  if (finished(job) || !job.submitted_at) return "";
  const done = job.frames_done + job.frames_failed;
  if (done === 0) return "—";
  const elapsed = (Date.now() - Date.parse(job.submitted_at)) / 1000;
  return duration(elapsed / done * (job.frames_total - done));
}

async function act(jobID, action, body) {
  try { await api("POST", `/api/v1/jobs/${encodeURIComponent(jobID)}/${action}`, body); }
  catch (error) { alert(`${action} ${jobID}: ${error.message}`); }
}

function actionButtons(job) {
  const disabled = !canChange() || finished(job);
  return h("span", { class: "actions" },
    job.state === "paused"
      ? h("button", { id: "resume", disabled, onclick: () => act(job.id, "resume") }, "Resume")
      : h("button", { id: "pause", disabled, onclick: () => act(job.id, "pause", {}) }, "Pause"),
    h("button", { id: "cancel", disabled, onclick: () => confirm(`Cancel ${job.name}?`) && act(job.id, "cancel") }, "Cancel"));
}

/// A job's summary from one of its events.
function applyEvent(job, event) {
  job.state = event.job_state;
  job.frames_done = event.frames_done;
  job.frames_failed = event.frames_failed;
  job.frames_total = event.frames_total;
  job.progress = job.frames_total ? (job.frames_done + job.frames_failed) / job.frames_total : 0;
}

/// Follows a job's event stream. A stream the browser gave up on (the coordinator restarted, a proxy cut it) is
/// opened again after a pause while the page still shows the job; `onEvent` sees the new stream's first event
/// with sequence 1, which tells it that events may have been missed.
function follow(jobID, onEvent) {
  if (state.streams.has(jobID)) return;
  const view = state.view;
  const source = new EventSource(withToken(`/api/v1/jobs/${encodeURIComponent(jobID)}/events`));
  source.addEventListener("job", message => {
    const event = JSON.parse(message.data);
    onEvent(event);
    if (event.terminal) { source.close(); state.streams.delete(jobID); }
  });
  source.onerror = () => {
    if (source.readyState !== EventSource.CLOSED || state.streams.get(jobID) !== source) return;
    state.streams.delete(jobID);
    setTimeout(() => { if (state.view === view) follow(jobID, onEvent); }, 3000);
  };
  state.streams.set(jobID, source);
}

// MARK: The queue

async function showQueue() {
  const main = document.getElementById("main");
  const jobs = new Map();
  const body = h("tbody", { id: "jobs" });
  main.replaceChildren(h("h1", {}, "Queue"),
    h("table", {}, h("thead", {}, h("tr", {}, ["Job", "State", "Owner", "Priority", "Progress", "Frames", "ETA", ""].map(t => h("th", {}, t)))), body));
  const row = job => h("tr", { id: "job-" + job.id, "data-state": job.state },
    h("td", {}, h("a", { href: `#/jobs/${job.id}` }, job.name), h("div", { class: "muted" }, job.id)),
    h("td", {}, stateBadge(job.state)), h("td", {}, job.owner || "—"), h("td", {}, job.priority),
    h("td", {}, bar(job.progress)), h("td", {}, `${job.frames_done}/${job.frames_total}` + (job.frames_failed ? ` (${job.frames_failed} failed)` : "")),
    h("td", {}, eta(job)), h("td", {}, actionButtons(job)));
  const render = () => body.replaceChildren(...[...jobs.values()].map(row));
  const list = async () => {
    const answer = await api("GET", "/api/v1/jobs?limit=200");
    jobs.clear();
    for (const job of answer.jobs) jobs.set(job.id, job);
    render();
  };
  await list();
  // One stream for the whole queue: a changed job's row is redrawn, an unknown job (just submitted) reads the
  // list again. Deleted jobs leave at the next read (every 30 s).
  const source = new EventSource(withToken("/api/v1/events"));
  source.addEventListener("job", message => {
    const event = JSON.parse(message.data);
    const job = jobs.get(event.job_id);
    if (!job) { list().catch(() => {}); return; }
    applyEvent(job, event);
    const old = document.getElementById("job-" + job.id);
    if (old) old.replaceWith(row(job)); else render();
  });
  // A job that changed between the first read and the stream opening (or while it reconnected) is read again.
  source.onopen = () => list().catch(() => {});
  state.streams.set("", source);
  state.timers.push(setInterval(() => list().catch(() => {}), 30000));
}

// MARK: A job

async function showJob(jobID) {
  const main = document.getElementById("main");
  const job = await api("GET", `/api/v1/jobs/${encodeURIComponent(jobID)}`);
  const frames = new Map(job.frames.map(f => [f.index, f]));
  const summary = h("div", { class: "summary", id: "summary" });
  const grid = h("div", { class: "grid", id: "frames" });
  const log = h("pre", { id: "log", hidden: true });
  const chart = h("div", { class: "chart", id: "warp-chart", hidden: true });
  const preview = h("img", { class: "preview", id: "preview", alt: "animated preview", hidden: true });
  const playButton = h("button", { id: "play", onclick: () => togglePreview() }, "▶ Preview");
  const tools = h("div", { class: "tools" }, playButton,
    h("a", { id: "contact-sheet", target: "_blank", rel: "noopener",
             href: withToken(`/api/v1/jobs/${encodeURIComponent(job.id)}/contact-sheet`) }, "Contact sheet"));
  main.replaceChildren(summary, tools, preview, chart, grid, h("h2", { id: "log-title", hidden: true }),
                       h("div", { id: "attempts" }), log);
  const renderSummary = () => summary.replaceChildren(...[
    h("h1", {}, job.name), stateBadge(job.state), h("span", { id: "job-state", "data-state": job.state }, ""),
    bar(job.progress), h("span", {}, `${job.frames_done}/${job.frames_total} frames` + (job.frames_failed ? `, ${job.frames_failed} failed` : "")),
    h("span", { class: "muted" }, "owner " + (job.owner || "—") + ", priority " + job.priority),
    (job.styles || []).length ? h("span", { class: "styles", id: "styles" }, ...job.styles.map(style =>
      h("img", { class: "style", alt: style.name, title: style.name + (style.region ? ` (${style.region})` : ""),
                 src: withToken(style.thumbnail_url) }))) : null,
    finished(job) ? null : h("span", { class: "muted" }, "ETA " + (eta(job) || "—")),
    actionButtons(job),
    job.frames_failed ? h("button", { disabled: !canChange(), onclick: () => act(job.id, "requeue", { failed: true }) }, "Requeue failed") : null,
  ].filter(Boolean));
  const thumbnail = frame => withToken(frame.thumbnail_url + `?v=${frame.attempts}-${Date.parse(frame.ended_at || "") || 0}`);
  // Running frames' loss curves: the optimizer's total loss at each progress event, per frame.
  const curves = new Map();
  const tile = (frame, progress) => {
    const curve = curves.get(frame.index);
    const thumb = frame.state === "done" && frame.thumbnail_url
      ? h("img", { class: "thumb", alt: `frame ${frame.number}`, loading: "lazy", src: thumbnail(frame) })
      : (curve && curve.length > 1 ? sparkline(curve, "thumb curve", "loss") : h("div", { class: "thumb" }));
    return h("div", { class: "frame " + frame.state, id: "frame-" + frame.number, "data-state": frame.state,
                      title: frameTitle(frame), onclick: () => showLog(job.id, frame.number) },
      thumb, progress ? bar(progress.iteration / Math.max(1, progress.budget), true) : null,
      h("div", { class: "label" }, h("span", {}, frame.number), h("span", { class: "muted" }, frame.worker || "")));
  };
  // The animated preview: the finished frames' thumbnails in order, 12 a second.
  let playing = null;
  const togglePreview = () => {
    if (playing) { clearInterval(playing); playing = null; preview.hidden = true; playButton.textContent = "▶ Preview"; return; }
    const urls = [...frames.values()].filter(f => f.state === "done" && f.thumbnail_url).sort((a, b) => a.index - b.index).map(thumbnail);
    if (!urls.length) return;
    urls.forEach(url => { new Image().src = url; });
    let n = 0;
    preview.src = urls[0]; preview.hidden = false; playButton.textContent = "■ Stop";
    playing = setInterval(() => { n = (n + 1) % urls.length; preview.src = urls[n]; preview.dataset.frame = n; }, 1000 / 12);
    state.timers.push(playing);
  };
  const renderChart = () => {
    const points = [...frames.values()].filter(f => typeof f.warp_error === "number").sort((a, b) => a.index - b.index)
      .map(f => [f.number, f.warp_error]);
    chart.hidden = points.length === 0;
    if (points.length) chart.replaceChildren(h("span", { class: "muted" }, "warp error per frame"), sparkline(points, "warp", "warp error"),
      h("span", { class: "muted" }, `mean ${(points.reduce((a, p) => a + p[1], 0) / points.length).toFixed(4)}, ${points.length} pairs`));
  };
  let running = new Map();
  // One tile per frame; an event redraws only the tiles it changes (a 1,000-frame grid stays cheap).
  const tiles = new Map();
  for (const frame of frames.values()) tiles.set(frame.index, tile(frame, null));
  grid.replaceChildren(...tiles.values());
  const redraw = index => {
    const frame = frames.get(index), old = tiles.get(index);
    if (!frame || !old) return;
    const fresh = tile(frame, running.get(index));
    old.replaceWith(fresh);
    tiles.set(index, fresh);
  };
  renderSummary();
  renderChart();
  // Per-frame events keep the grid current. Whenever they cannot account for it — a frame that changed between
  // the page's read and its watch starting, many frames that came as one summary, events missed across a
  // reconnect — the page reads the job's frames again: shortly after an event whose counts differ from the grid's.
  const settled = () => [...frames.values()].filter(f => f.state === "done" || f.state === "failed").length;
  const view = state.view;
  let lastSequence = 0, expected = 0, gapSeen = false, checkTimer = null, reading = null, readAgain = false;
  const resync = () => {
    if (reading) { readAgain = true; return; }
    reading = api("GET", `/api/v1/jobs/${encodeURIComponent(job.id)}`).then(fresh => {
      if (state.view !== view) return;
      Object.assign(job, fresh, { frames: undefined, styles: fresh.styles || job.styles });
      for (const frame of fresh.frames) {
        const old = frames.get(frame.index);
        frames.set(frame.index, frame);
        if (!old || old.state !== frame.state || old.attempts !== frame.attempts) redraw(frame.index);
      }
      renderSummary();
      renderChart();
    }).catch(() => {}).finally(() => { reading = null; if (readAgain) { readAgain = false; resync(); } });
  };
  const stale = () => gapSeen || settled() !== expected;
  const check = () => {
    checkTimer = null;
    if (state.view !== view || !stale()) return;
    gapSeen = false;
    resync();
  };
  if (!finished(job)) follow(job.id, event => {
    if (event.sequence !== lastSequence + 1) gapSeen = true;   // a stream opened again starts at 1
    lastSequence = event.sequence;
    expected = event.frames_done + event.frames_failed;
    applyEvent(job, event);
    const changed = new Set(running.keys());
    if (event.frame) { frames.set(event.frame.index, event.frame); changed.add(event.frame.index); }
    running = new Map(event.running.map(r => [r.frame_index, r]));
    if (event.frame && (event.frame.state === "done" || event.frame.state === "failed")) curves.delete(event.frame.index);
    for (const r of event.running) {
      changed.add(r.frame_index);
      if (r.losses && r.iteration > 0) {
        const curve = curves.get(r.frame_index) || [];
        if (!curve.length || curve[curve.length - 1][0] !== r.iteration) curve.push([r.iteration, r.losses.total]);
        if (curve.length > 1 && curve[curve.length - 1][0] < curve[curve.length - 2][0]) curve.splice(0, curve.length - 1);  // a new task
        curves.set(r.frame_index, curve.slice(-200));
      }
      const f = frames.get(r.frame_index);
      if (f && f.state === "pending") f.state = "running";
    }
    renderSummary();
    for (const index of changed) redraw(index);
    if (event.frame && typeof event.frame.warp_error === "number") renderChart();
    if (reading && event.frame) readAgain = true;   // the read in flight may predate this frame's change
    if (stale() && !checkTimer) checkTimer = setTimeout(check, 300);
  });
}

async function showLog(jobID, number) {
  const title = document.getElementById("log-title"), log = document.getElementById("log"), table = document.getElementById("attempts");
  try {
    const [frame, answer] = await Promise.all([
      api("GET", `/api/v1/jobs/${encodeURIComponent(jobID)}/frames/${number}`),
      api("GET", `/api/v1/jobs/${encodeURIComponent(jobID)}/logs?frame=${number}`)]);
    title.textContent = `Frame ${number}: ${answer.attempts.length} attempt(s)` + (frame.render_seconds ? `, ${frame.render_seconds.toFixed(1)} s of rendering` : "")
      + (typeof frame.warp_error === "number" ? `, warp error ${frame.warp_error.toFixed(4)}` : "");
    table.replaceChildren(attemptsTable(frame));
    log.textContent = answer.attempts.map(a => `── ${a.task_id} attempt ${a.attempt} on ${a.worker}: ${a.outcome}${a.error ? " — " + a.error : ""}\n${a.log}`).join("\n") || "(no attempts yet)";
  } catch (error) { title.textContent = `Frame ${number}`; table.replaceChildren(); log.textContent = error.message; }
  title.hidden = false; log.hidden = false;
  title.scrollIntoView({ behavior: "smooth" });
}

/// A frame's tasks and their attempts: worker, outcome, time, evaluations, memory and final loss.
function attemptsTable(frame) {
  const rows = [];
  for (const task of frame.tasks || []) {
    for (const a of task.attempts) {
      rows.push(h("tr", { class: "attempt" }, h("td", {}, task.id + (task.produces_output ? " (output)" : "")), h("td", {}, a.number),
        h("td", {}, a.worker), h("td", {}, stateBadge(a.outcome === "succeeded" ? "done" : a.outcome === "pending" ? "running" : "failed"), " ", a.outcome),
        h("td", {}, a.wall_seconds !== undefined ? a.wall_seconds.toFixed(1) + " s" : "—"), h("td", {}, a.evaluations ?? "—"),
        h("td", {}, a.peak_rss_bytes ? (a.peak_rss_bytes / 2 ** 20).toFixed(0) + " MiB" : "—"),
        h("td", {}, a.losses && a.losses.total ? a.losses.total.toExponential(3) : "—"), h("td", { class: "error" }, a.error || "")));
    }
  }
  return h("table", {}, h("thead", {}, h("tr", {}, ["Task", "Attempt", "Worker", "Outcome", "Time", "Evaluations", "Peak memory", "Final loss", "Error"]
    .map(t => h("th", {}, t)))), h("tbody", {}, rows));
}

/// A tile's tooltip: its error, or what its render took.
function frameTitle(frame) {
  if (frame.error) return frame.error;
  const parts = [];
  if (frame.render_seconds) parts.push(`${frame.render_seconds.toFixed(1)} s, ${frame.evaluations} evaluations`);
  if (frame.losses && frame.losses.total) parts.push(`loss ${frame.losses.total.toExponential(3)}`);
  if (typeof frame.warp_error === "number") parts.push(`warp error ${frame.warp_error.toFixed(4)}`);
  return parts.join(" · ");
}

/// A small line chart of [x, y] points as inline SVG (no library): y on a log scale when it spans decades (losses).
function sparkline(points, className, label) {
  const ns = "http://www.w3.org/2000/svg", width = 240, height = 60, pad = 3;
  const xs = points.map(p => p[0]), ys = points.map(p => p[1]);
  const positive = ys.every(y => y > 0), log = positive && Math.max(...ys) / Math.min(...ys) > 20;
  const f = log ? Math.log : (y => y);
  const x0 = Math.min(...xs), x1 = Math.max(...xs), y0 = Math.min(...ys.map(f)), y1 = Math.max(...ys.map(f));
  const sx = x => pad + (x1 > x0 ? (x - x0) / (x1 - x0) : 0.5) * (width - 2 * pad);
  const sy = y => height - pad - (y1 > y0 ? (f(y) - y0) / (y1 - y0) : 0.5) * (height - 2 * pad);
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("class", "sparkline " + className);
  svg.setAttribute("aria-label", label);
  svg.setAttribute("data-points", points.length);
  const line = document.createElementNS(ns, "polyline");
  line.setAttribute("points", points.map(p => `${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join(" "));
  svg.append(line);
  for (const p of points.length <= 60 ? points : []) {
    const dot = document.createElementNS(ns, "circle");
    dot.setAttribute("cx", sx(p[0]).toFixed(1)); dot.setAttribute("cy", sy(p[1]).toFixed(1)); dot.setAttribute("r", "1.8");
    const tip = document.createElementNS(ns, "title");
    tip.textContent = `${p[0]}: ${p[1].toPrecision(4)}`;
    dot.append(tip);
    svg.append(dot);
  }
  return svg;
}

// MARK: Workers

async function showWorkers() {
  const main = document.getElementById("main");
  const body = h("tbody", { id: "workers" });
  main.replaceChildren(h("h1", {}, "Workers"),
    h("table", {}, h("thead", {}, h("tr", {}, ["Worker", "Host", "State", "Cores", "Memory", "Peak task memory", "Slots", "Doing", "Heartbeat", "Health", "Blocklisted on"].map(t => h("th", {}, t)))), body));
  const refresh = async () => {
    const answer = await api("GET", "/api/v1/workers");
    body.replaceChildren(...answer.workers.map(w => h("tr", { id: "worker-" + w.id },
      h("td", {}, w.id), h("td", {}, w.hostname), h("td", {}, stateBadge(w.state === "alive" ? (w.tasks_held ? "running" : "done") : "cancelled"), " ", w.state),
      h("td", {}, w.cores), h("td", {}, (w.memory_bytes / 2 ** 30).toFixed(1) + " GiB"),
      h("td", {}, w.peak_rss_bytes ? (w.peak_rss_bytes / 2 ** 20).toFixed(0) + " MiB" : "—"), h("td", {}, w.slots),
      h("td", { class: "doing" }, w.tasks.length ? w.tasks.map(t => h("div", {},
        h("a", { href: "#/jobs/" + encodeURIComponent(t.job_id) }, t.task_id), " ",
        t.budget ? bar(t.iteration / t.budget, true) : h("span", { class: "muted" }, "starting"))) : h("span", { class: "muted" }, "idle")),
      h("td", {}, w.last_seen ? duration((Date.now() - Date.parse(w.last_seen)) / 1000) + " ago" : "—"),
      h("td", { class: w.unhealthy_reason ? "error" : "" }, w.unhealthy_reason || "healthy"), h("td", {}, w.blocked_jobs.join(", ") || "—"))));
  };
  await refresh();
  state.timers.push(setInterval(() => refresh().catch(() => {}), 2000));
}

// MARK: Routing

async function route() {
  closeStreams();
  const hash = location.hash || "#/";
  document.getElementById("nav-queue").classList.toggle("active", hash === "#/");
  document.getElementById("nav-workers").classList.toggle("active", hash === "#/workers");
  try {
    const job = hash.match(/^#\/jobs\/(.+)$/);
    if (job) await showJob(decodeURIComponent(job[1]));
    else if (hash === "#/workers") await showWorkers();
    else await showQueue();
  } catch (error) {
    if (error.message !== "unauthenticated") document.getElementById("main").replaceChildren(h("p", { class: "error" }, error.message));
  }
}

async function start() {
  try {
    const me = await api("GET", "/api/v1/whoami");
    state.role = me.role;
    document.getElementById("who").textContent = (me.name || "insecure farm") + " · " + me.role;
  } catch (_) { return; }
  const dialog = document.getElementById("login");
  if (dialog.open) dialog.close();
  route();
}

window.addEventListener("hashchange", route);
start();
