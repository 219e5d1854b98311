// The demo page: plain JavaScript on the UMD build (`window.Tandem`), no bundler.
// The contract both ends follow is ../contract.ts.
/* global Tandem */
'use strict';

const $ = (id) => document.getElementById(id);
const view = {
  state: $('state'),
  latency: $('latency'),
  resume: $('resume'),
  joinForm: $('join'),
  joinError: $('join-error'),
  chat: $('chat'),
  roomTitle: $('room-title'),
  messages: $('messages'),
  users: $('users'),
  onlineCount: $('online-count'),
};

/** The session: who we are, where we are, and the client once joined. */
const session = { name: '', room: '', client: null, shown: new Set(), countdown: 0, probe: 0, noticeTimer: 0 };
window.demo = session; // for the end-to-end tests and for poking around in devtools

const wsUrl = () => `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/chat`;

// `?nodes=8080,8081` (printed by `npm run start:cluster`): after a failed attempt the client tries
// the next node, so killing this tab's node moves it to another, where its session resumes.
const nodePorts = (new URLSearchParams(location.search).get('nodes') ?? '').split(',').filter((port) => /^\d+$/.test(port));
let attempts = 0;
const nodeUrl = () => {
  if (nodePorts.length === 0) return wsUrl();
  const own = nodePorts.indexOf(location.port);
  const port = nodePorts[((own < 0 ? 0 : own) + attempts++) % nodePorts.length];
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.hostname}:${port}/chat`;
};

// ——— connection state, with the reconnect countdown ———
function showState(state, retryAt) {
  clearInterval(session.countdown);
  const paint = () => {
    let label = state;
    if (state === 'reconnecting' && retryAt) {
      const seconds = Math.max(0, Math.ceil((retryAt - Date.now()) / 1000));
      label = seconds > 0 ? `reconnecting in ${seconds}s` : 'reconnecting…';
    }
    view.state.textContent = label;
  };
  view.state.dataset.state = state;
  view.state.className = `state state-${state}`;
  paint();
  if (state === 'reconnecting' && retryAt) session.countdown = setInterval(paint, 250);
  if (state !== 'open') view.latency.textContent = '– ms';
}

// ——— after a reconnect that did not resume: say so, and reload the room ———
// A blip that resumed needs nothing: the state stayed 'open' and no message was lost. When the
// session could not be resumed (server restarted, window passed…), messages may have been missed:
// clear the list and let the room history refill it. The server sends that history to every new
// session right after its welcome (server.mjs, 'connection' → enter()), so it arrives in order,
// before any later message.
function showNotResumed(reason) {
  view.resume.textContent = `reconnected without resume (${reason}): history reloaded`;
  view.resume.hidden = false;
  clearTimeout(session.noticeTimer);
  session.noticeTimer = setTimeout(() => (view.resume.hidden = true), 10_000);
  view.messages.replaceChildren();
  session.shown.clear();
}

// ——— messages and presence ———
function addMessage({ id, from, text, at }) {
  if (session.shown.has(id)) return; // history after a reconnect repeats what we already show
  session.shown.add(id);
  const item = document.createElement('li');
  if (from === session.name) item.classList.add('mine');
  const who = Object.assign(document.createElement('span'), { className: 'from', textContent: from });
  const when = Object.assign(document.createElement('time'), { textContent: new Date(at).toLocaleTimeString() });
  item.append(who, document.createTextNode(text), when);
  view.messages.append(item);
  view.messages.scrollTop = view.messages.scrollHeight;
}

function addNote(text) {
  view.messages.append(Object.assign(document.createElement('li'), { className: 'system', textContent: text }));
}

function showUsers(users) {
  view.users.replaceChildren(...users.map((name) => Object.assign(document.createElement('li'), { textContent: name })));
  view.onlineCount.textContent = String(users.length);
}

function enterRoom(room) {
  session.room = room;
  view.roomTitle.textContent = `#${room}`;
  view.messages.replaceChildren();
  session.shown.clear();
}

// ——— latency: time a typed request round trip ———
async function measureLatency() {
  if (session.client?.state !== 'open') return;
  const started = performance.now();
  try {
    await session.client.request('clock', undefined, { timeout: 5000 });
    view.latency.textContent = `${Math.round(performance.now() - started)} ms`;
  } catch {
    view.latency.textContent = '– ms';
  }
}

// ——— joining: the first time connects, later it asks the server to switch rooms ———
function connect(name, room) {
  session.name = name;
  enterRoom(room);
  // `auth` is read before every attempt, so a reconnect lands in the room we are in now.
  const client = Tandem.createClient(nodePorts.length > 0 ? nodeUrl : wsUrl(), { auth: () => ({ name: session.name, room: session.room }) });
  session.client = client;
  client.lifecycle.on('state', (state) => showState(state));
  client.lifecycle.on('close', (info) => {
    // During a blip (a resumable session retrying at once) the state stays 'open': show nothing.
    if (info.willReconnect && client.state === 'reconnecting') showState('reconnecting', info.retryDelay ? Date.now() + info.retryDelay : 0);
    else if (info.code >= 4400 && info.code <= 4499) view.joinError.textContent = info.reason;
  });
  client.lifecycle.on('open', ({ resumed, reason }) => {
    if (!resumed && reason !== undefined) showNotResumed(reason); // `reason` is absent on the first connection
    void measureLatency();
  });
  client.on('message', addMessage);
  client.on('history', ({ room, messages }) => room === session.room && messages.forEach(addMessage));
  client.on('presence', ({ room, users }) => room === session.room && showUsers(users));
  client.on('transport', ({ protocol }) => ($('transport').textContent = `WebSocket over ${protocol}`));
  showState(client.state);
  session.probe = setInterval(measureLatency, 3000);
  view.joinForm.querySelector('button').textContent = 'Switch room';
  $('name').disabled = true;
  view.chat.hidden = false;
}

async function switchRoom(room) {
  try {
    const { users } = await session.client.request('join', { room });
    enterRoom(room);
    showUsers(users);
  } catch (err) {
    // A typed error: `code` is what the server's handler threw (here `invalid_room`).
    view.joinError.textContent = `${err.code}: ${err.message}`;
  }
}

view.joinForm.addEventListener('submit', (event) => {
  event.preventDefault();
  view.joinError.textContent = '';
  const room = $('room').value.trim();
  if (session.client === null) connect($('name').value.trim(), room);
  else if (room !== session.room) void switchRoom(room);
});

$('compose').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = $('text');
  const text = input.value.trim();
  if (text === '') return;
  // While the link is down this waits (in the session's log, or the offline queue) and is sent,
  // in order, as soon as the link is back.
  session.client.emit('say', { text });
  if (session.client.state !== 'open') addNote(`queued: ${text}`);
  input.value = '';
});

$('leave').addEventListener('click', () => {
  session.client.close();
  clearInterval(session.probe);
  session.client = null;
  showState('idle');
  view.state.textContent = 'not connected';
  view.chat.hidden = true;
  $('name').disabled = false;
  view.joinForm.querySelector('button').textContent = 'Join';
});
