// The sandbox's web chat: a person plays one of the bot's users through the
// user API (docs/sandbox.md). Everything the bot sends is shown with DOM
// nodes and textContent only: no bot text ever reaches innerHTML.
'use strict';

(() => {
  const API = '/sandbox/api';
  const POLL_SECONDS = 25;
  const SAFE_URL = /^(https?:|tg:|mailto:|tel:)/i;
  const $ = (id) => document.getElementById(id);

  const state = {
    bot: null,
    user: null,
    lastSeq: 0,
    poll: null, // AbortController of the events long poll
    nodes: new Map(), // message_id -> element
    messages: new Map(), // message_id -> Message
    payments: new Map(), // invoice message_id -> {text, kind}
    paymentQueries: new Map(), // pre_checkout_query_id -> invoice message_id
    pressed: new Map(), // callback_query_id -> button element
    replyKeyboard: null,
    keyboardOpen: true,
    inline: { id: null, query: null, timer: 0 },
    actionTimer: 0,
    stickToBottom: true,
  };

  // ---- helpers ------------------------------------------------------------------------

  async function api(method, path, body, signal) {
    const init = { method, signal, headers: {} };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const res = await fetch(API + path, init);
    let data;
    try {
      data = await res.json();
    } catch {
      throw new Error(`the sandbox answered HTTP ${res.status}`);
    }
    if (!data.ok) throw new Error(data.description || `HTTP ${res.status}`);
    return data.result;
  }

  // el('div', {class: 'x', text: 'y', 'aria-label': 'z'}, child...): attributes, never HTML.
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'class') node.className = value;
      else if (key === 'text') node.textContent = value;
      else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? '' : String(value));
    }
    node.append(...children);
    return node;
  }

  function toast(text, url) {
    const node = el('div', { class: 'toast', role: 'status', text });
    if (url && SAFE_URL.test(url)) {
      node.append(' ', el('a', { href: url, target: '_blank', rel: 'noopener noreferrer', text: url }));
    }
    $('toasts').append(node);
    setTimeout(() => node.remove(), url ? 8000 : 2500);
  }

  // A modal: an alert, or a question with an optional text field. Resolves to
  // null on cancel, else the field's value ('' without a field).
  function ask(text, { field = null, cancel = true, ok = 'OK' } = {}) {
    const dialog = $('dialog');
    $('dialog-text').textContent = text;
    $('dialog-field').hidden = field === null;
    $('dialog-input').value = field || '';
    $('dialog-cancel').hidden = !cancel;
    $('dialog-ok').textContent = ok;
    dialog.returnValue = '';
    dialog.showModal();
    if (field !== null) $('dialog-input').select();
    return new Promise((resolve) => {
      dialog.addEventListener(
        'close',
        () => resolve(dialog.returnValue === 'ok' ? $('dialog-input').value.trim() : null),
        { once: true },
      );
    });
  }

  function initial(name) {
    return Array.from((name || '?').trim())[0] || '?';
  }

  function timeOf(unix) {
    return new Date(unix * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  }

  function formatAmount(amount, currency) {
    if (currency === 'XTR') return `★ ${amount}`;
    try {
      const format = new Intl.NumberFormat(undefined, { style: 'currency', currency });
      return format.format(amount / 10 ** format.resolvedOptions().maximumFractionDigits);
    } catch {
      return `${amount} ${currency}`;
    }
  }

  function userLabel(u) {
    return [u.first_name, u.last_name].filter(Boolean).join(' ');
  }

  // ---- text with entities ---------------------------------------------------------------

  function link(href, text) {
    if (!SAFE_URL.test(href)) return el('span');
    return el('a', { href, target: '_blank', rel: 'noopener noreferrer', title: href !== text ? href : null });
  }

  function entityNode(e, text) {
    switch (e.type) {
      case 'bold':
        return el('b');
      case 'italic':
        return el('i');
      case 'underline':
        return el('u');
      case 'strikethrough':
        return el('s');
      case 'code':
        return el('code');
      case 'pre':
        return el('pre', { 'data-language': e.language });
      case 'blockquote':
      case 'expandable_blockquote':
        return el('blockquote');
      case 'text_link':
        return link(e.url || '', text);
      case 'url':
        return link(/^[a-z][a-z0-9+.-]*:/i.test(text) ? text : `http://${text}`, text);
      case 'email':
        return link(`mailto:${text}`, text);
      case 'phone_number':
        return link(`tel:${text}`, text);
      case 'spoiler': {
        const node = el('span', { class: 'spoiler', title: 'Spoiler: click to show' });
        node.addEventListener('click', () => node.classList.add('shown'));
        return node;
      }
      case 'bot_command': {
        const command = text;
        return el('span', {
          class: 'command',
          role: 'button',
          tabindex: 0,
          title: `Send ${command}`,
          onclick: () => sendText(command),
          onkeydown: (ev) => ev.key === 'Enter' && sendText(command),
        });
      }
      default:
        return el('span', { class: e.type === 'mention' || e.type === 'hashtag' ? 'command' : null });
    }
  }

  // Appends text[start, end) to parent with the entities (sorted, nested) inside it.
  function build(parent, text, list, start, end) {
    let pos = start;
    for (let i = 0; i < list.length; i++) {
      const e = list[i];
      if (e.offset < pos) continue; // overlaps the previous one: Telegram never nests so
      const stop = e.offset + e.length;
      parent.append(text.slice(pos, e.offset));
      const inner = [];
      let j = i + 1;
      for (; j < list.length && list[j].offset < stop; j++) {
        if (list[j].offset + list[j].length <= stop) inner.push(list[j]);
      }
      const node = entityNode(e, text.slice(e.offset, stop));
      build(node, text, inner, e.offset, stop);
      parent.append(node);
      pos = stop;
      i = j - 1;
    }
    parent.append(text.slice(pos, end));
  }

  // Offsets are in UTF-16 code units, which is what JS strings index.
  function renderText(parent, text, entities) {
    const list = (entities || [])
      .filter((e) => e.offset >= 0 && e.length > 0 && e.offset + e.length <= text.length)
      .sort((a, b) => a.offset - b.offset || b.length - a.length);
    build(parent, text, list, 0, text.length);
    return parent;
  }

  // ---- messages -------------------------------------------------------------------------

  function summary(m) {
    if (m.text) return m.text;
    if (m.caption) return m.caption;
    if (m.photo) return 'Photo';
    if (m.invoice) return `Invoice: ${m.invoice.title}`;
    if (m.contact) return 'Contact';
    return 'Message';
  }

  function isOwn(m) {
    return Boolean(m.from && state.user && m.from.id === state.user.id);
  }

  function hasPayButton(m) {
    const rows = (m.reply_markup && m.reply_markup.inline_keyboard) || [];
    return rows.some((row) => row.some((b) => b.pay));
  }

  function meta(m) {
    const time = timeOf(m.edit_date || m.date);
    return el('span', {
      class: 'meta',
      text: m.edit_date ? `edited ${time}` : time,
      title: new Date(m.date * 1000).toLocaleString(),
    });
  }

  function photoOf(m) {
    const sizes = m.photo.slice().sort((a, b) => a.width - b.width);
    const size = sizes.find((s) => s.width >= 640) || sizes[sizes.length - 1];
    return el('img', {
      src: `${API}/files/${encodeURIComponent(size.file_id)}`,
      width: size.width,
      height: size.height,
      alt: m.caption || 'Photo',
      loading: 'lazy',
      onload: keepAtBottom,
    });
  }

  function paymentStatus(messageId) {
    const status = state.payments.get(messageId);
    return el('div', {
      class: `status ${status ? status.kind : ''}`,
      role: 'status',
      text: status ? status.text : '',
    });
  }

  function invoiceCard(m) {
    const inv = m.invoice;
    const amount = formatAmount(inv.total_amount, inv.currency);
    const card = el(
      'div',
      { class: 'invoice' },
      el('div', { class: 'invoice-title', text: inv.title }),
      el('div', { text: inv.description }),
      el('div', { class: 'amount', text: amount }),
    );
    const status = state.payments.get(m.message_id);
    if (!hasPayButton(m) && !(status && status.kind === 'paid')) {
      card.append(
        el('button', {
          type: 'button',
          class: 'primary',
          text: `Pay ${amount}`,
          'aria-label': `Pay ${amount} for ${inv.title}`,
          disabled: Boolean(status && status.kind === 'pending'),
          onclick: () => pay(m.message_id),
        }),
      );
    }
    card.append(paymentStatus(m.message_id));
    return card;
  }

  function content(m, bubble) {
    if (m.photo) {
      bubble.classList.add('photo');
      bubble.append(photoOf(m));
      if (!m.caption) {
        bubble.classList.add('bare');
        return bubble;
      }
      return bubble.appendChild(renderText(el('div', { class: 'caption' }), m.caption, m.caption_entities));
    }
    if (m.text !== undefined) return bubble.appendChild(renderText(el('div'), m.text, m.entities));
    if (m.invoice) return bubble.appendChild(invoiceCard(m));
    if (m.contact) {
      const c = m.contact;
      return bubble.appendChild(
        el(
          'div',
          { class: 'contact' },
          el('div', { class: 'avatar user', 'aria-hidden': 'true', text: initial(c.first_name) }),
          el('div', {}, el('strong', { text: userLabel(c) }), el('div', { text: c.phone_number })),
        ),
      );
    }
    if (m.successful_payment) {
      const p = m.successful_payment;
      const text = `You paid ${formatAmount(p.total_amount, p.currency)}`;
      return bubble.appendChild(el('div', { class: 'service', text }));
    }
    return bubble.appendChild(el('div', { class: 'service', text: 'A message the web chat cannot show' }));
  }

  function renderMessage(m) {
    const own = isOwn(m);
    const wrap = el('div', { class: own ? 'msg own' : 'msg', 'data-message-id': m.message_id });
    const bubble = el('div', { class: 'bubble' });
    if (m.via_bot) bubble.append(el('div', { class: 'via', text: `via @${m.via_bot.username}` }));
    if (m.reply_to_message) bubble.append(el('div', { class: 'quote', text: summary(m.reply_to_message) }));
    content(m, bubble).append(meta(m));
    wrap.append(bubble);
    const rows = m.reply_markup && m.reply_markup.inline_keyboard;
    if (rows) wrap.append(inlineKeyboard(m, rows));
    return wrap;
  }

  function nearBottom() {
    const box = $('messages');
    return box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  }

  function scrollToBottom() {
    const box = $('messages');
    box.scrollTop = box.scrollHeight;
  }

  function keepAtBottom() {
    if (state.stickToBottom) scrollToBottom();
  }

  function showEmpty() {
    if (state.nodes.size === 0 && !$('messages').querySelector('.empty')) {
      $('messages').append(el('div', { class: 'empty', text: 'No messages here yet. Send /start.' }));
    }
  }

  function upsertMessage(m) {
    const atBottom = nearBottom();
    const node = renderMessage(m);
    const old = state.nodes.get(m.message_id);
    state.messages.set(m.message_id, m);
    state.nodes.set(m.message_id, node);
    if (old) {
      old.replaceWith(node);
      return;
    }
    const box = $('messages');
    const empty = box.querySelector('.empty');
    if (empty) empty.remove();
    const next = Array.from(state.nodes.keys())
      .filter((id) => id > m.message_id && state.nodes.get(id).isConnected)
      .sort((a, b) => a - b)[0];
    box.insertBefore(node, next === undefined ? null : state.nodes.get(next));
    if (atBottom || isOwn(m)) scrollToBottom();
  }

  function removeMessage(id) {
    const node = state.nodes.get(id);
    if (node) node.remove();
    state.nodes.delete(id);
    state.messages.delete(id);
    showEmpty();
  }

  // ---- inline keyboards ------------------------------------------------------------------

  function inlineKeyboard(m, rows) {
    const box = el('div', { class: 'inline-keyboard', role: 'group', 'aria-label': 'Message buttons' });
    for (const row of rows) box.append(el('div', { class: 'kb-row' }, ...row.map((b) => inlineButton(m, b))));
    return box;
  }

  function inlineButton(m, b) {
    if (b.url !== undefined) {
      const a = link(b.url, b.text);
      a.textContent = `${b.text} ↗`;
      a.setAttribute('aria-label', `${b.text} (opens in a new tab)`);
      return a;
    }
    const button = el('button', { type: 'button', text: b.text });
    if (b.callback_data !== undefined) {
      button.addEventListener('click', () => press(m, b.callback_data, button));
    } else if (b.switch_inline_query_current_chat !== undefined) {
      button.addEventListener('click', () => startInline(b.switch_inline_query_current_chat));
    } else if (b.switch_inline_query !== undefined) {
      button.addEventListener('click', () => startInline(b.switch_inline_query));
    } else if (b.pay) {
      button.addEventListener('click', () => pay(m.message_id));
    } else {
      button.setAttribute('aria-disabled', 'true');
      button.title = 'This kind of button does nothing in the sandbox';
    }
    return button;
  }

  async function press(m, data, button) {
    button.classList.add('busy');
    try {
      const r = await api('POST', `/users/${state.user.id}/callback`, {
        message_id: m.message_id,
        chat_id: m.chat.id,
        callback_data: data,
      });
      state.pressed.set(r.callback_query_id, button);
    } catch (err) {
      button.classList.remove('busy');
      toast(err.message);
    }
  }

  function callbackAnswered(e) {
    const button = state.pressed.get(e.callback_query_id);
    state.pressed.delete(e.callback_query_id);
    if (button) button.classList.remove('busy');
    if (e.show_alert && e.text) ask(e.text, { cancel: false });
    else if (e.text || e.url) toast(e.text || 'The bot offers a link:', e.url);
  }

  // ---- sending --------------------------------------------------------------------------

  async function sendText(text) {
    try {
      const m = await api('POST', `/users/${state.user.id}/messages`, { text });
      upsertMessage(m);
      setBlocked(false);
      refreshKeyboard();
      return true;
    } catch (err) {
      toast(err.message);
      return false;
    }
  }

  async function shareContact() {
    const fallback = `+1555${String(state.user.id).slice(-7).padStart(7, '0')}`;
    const phone = await ask(`Share your phone number with ${state.bot.first_name}?`, {
      field: fallback,
      ok: 'Share',
    });
    if (!phone) return;
    try {
      upsertMessage(await api('POST', `/users/${state.user.id}/contact`, { phone_number: phone }));
      setBlocked(false);
      refreshKeyboard();
    } catch (err) {
      toast(err.message);
    }
  }

  async function pay(messageId) {
    try {
      const r = await api('POST', `/users/${state.user.id}/pay`, { message_id: messageId });
      state.paymentQueries.set(r.pre_checkout_query_id, messageId);
      setPayment(messageId, 'Waiting for the bot to confirm…', 'pending');
    } catch (err) {
      toast(err.message);
    }
  }

  function setPayment(messageId, text, kind) {
    state.payments.set(messageId, { text, kind });
    const m = state.messages.get(messageId);
    if (m) upsertMessage(m);
  }

  function paymentEvent(e) {
    if (e.message_id) state.paymentQueries.set(e.pre_checkout_query_id, e.message_id);
    const messageId = state.paymentQueries.get(e.pre_checkout_query_id);
    if (e.status === 'pending') {
      if (messageId) setPayment(messageId, 'Waiting for the bot to confirm…', 'pending');
      return;
    }
    let text;
    let kind = 'failed';
    if (e.status === 'paid') {
      const p = e.successful_payment;
      text = `Paid ${formatAmount(p.total_amount, p.currency)}`;
      kind = 'paid';
    } else if (e.status === 'declined') {
      text = `Declined: ${e.error_message}`;
    } else {
      text = 'The bot did not confirm the payment in time';
    }
    if (messageId) setPayment(messageId, text, kind);
    toast(text);
  }

  // ---- reply keyboard -------------------------------------------------------------------

  function renderReplyKeyboard(kb) {
    state.replyKeyboard = kb || null;
    const panel = $('reply-keyboard');
    const toggle = $('keyboard-toggle');
    $('input').placeholder = (kb && kb.input_field_placeholder) || 'Message';
    toggle.hidden = !kb;
    panel.hidden = !kb || !state.keyboardOpen;
    toggle.setAttribute('aria-expanded', String(!panel.hidden));
    toggle.setAttribute('aria-label', panel.hidden ? "Show the bot's keyboard" : "Hide the bot's keyboard");
    panel.replaceChildren();
    if (!kb) return;
    for (const row of kb.keyboard) {
      const buttons = row.map((b) => {
        const spec = typeof b === 'string' ? { text: b } : b;
        const button = el('button', { type: 'button', text: spec.text });
        if (spec.request_contact) {
          button.setAttribute('aria-label', `${spec.text} (shares your phone number)`);
          button.addEventListener('click', shareContact);
        } else {
          button.addEventListener('click', () => sendText(spec.text));
        }
        return button;
      });
      panel.append(el('div', { class: 'kb-row' }, ...buttons));
    }
  }

  // The reply keyboard is chat state, not part of any message: read it again
  // after anything that may change it.
  async function refreshKeyboard() {
    try {
      const chat = await api('GET', `/chats/${state.user.id}`);
      renderReplyKeyboard(chat.reply_keyboard);
    } catch (err) {
      toast(err.message);
    }
  }

  // ---- inline mode ----------------------------------------------------------------------

  function inlineQueryOf(text) {
    const match = /^@(\w+)\s([\s\S]*)$/.exec(text);
    if (!match || match[1].toLowerCase() !== state.bot.username.toLowerCase()) return null;
    return match[2];
  }

  function startInline(query) {
    const input = $('input');
    input.value = `@${state.bot.username} ${query}`;
    input.focus();
    input.setSelectionRange(input.value.length, input.value.length);
    onInput();
  }

  function hideInline() {
    clearTimeout(state.inline.timer);
    state.inline = { id: null, query: null, timer: 0 };
    $('inline-panel').hidden = true;
    $('inline-panel').replaceChildren();
  }

  async function runInline(query, offset) {
    const panel = $('inline-panel');
    if (!offset) {
      panel.replaceChildren(el('p', { class: 'note', text: 'Asking the bot…' }));
      panel.hidden = false;
    }
    try {
      const r = await api('POST', `/users/${state.user.id}/inline_query`, { query, offset });
      state.inline.id = r.inline_query_id;
      state.inline.query = query;
      state.inline.append = Boolean(offset);
    } catch (err) {
      panel.replaceChildren(el('p', { class: 'note', text: err.message }));
    }
  }

  function inlineResults(e) {
    if (e.inline_query_id !== state.inline.id) return; // an older query
    const panel = $('inline-panel');
    if (!state.inline.append) panel.replaceChildren();
    const more = panel.querySelector('.more');
    if (more) more.remove();
    if (e.button && e.button.start_parameter) {
      const start = `/start ${e.button.start_parameter}`;
      panel.prepend(el('button', { type: 'button', class: 'note', text: e.button.text, onclick: () => sendFromInline(start) }));
    }
    for (const r of e.results) {
      const text = r.input_message_content && r.input_message_content.message_text;
      const title = r.title || text || r.id;
      const description = r.description || (r.title && text) || r.type;
      panel.append(
        el(
          'button',
          { type: 'button', role: 'option', onclick: () => chooseInline(e.inline_query_id, r.id) },
          el('strong', { text: title }),
          el('small', { text: description }),
        ),
      );
    }
    if (e.next_offset) {
      const query = state.inline.query;
      panel.append(
        el('button', { type: 'button', class: 'more', text: 'More results', onclick: () => runInline(query, e.next_offset) }),
      );
    }
    if (!panel.children.length) panel.append(el('p', { class: 'note', text: 'No results' }));
    panel.hidden = false;
  }

  async function chooseInline(queryId, resultId) {
    try {
      const m = await api('POST', `/users/${state.user.id}/inline_result`, {
        inline_query_id: queryId,
        result_id: resultId,
      });
      $('input').value = '';
      onInput();
      upsertMessage(m);
      setBlocked(false);
    } catch (err) {
      toast(err.message);
    }
  }

  async function sendFromInline(text) {
    $('input').value = '';
    onInput();
    await sendText(text);
  }

  function onInput() {
    const input = $('input');
    input.style.height = 'auto';
    input.style.height = `${Math.min(input.scrollHeight, 140)}px`;
    const query = state.bot ? inlineQueryOf(input.value) : null;
    if (query === null) {
      hideInline();
      return;
    }
    clearTimeout(state.inline.timer);
    state.inline.timer = setTimeout(() => runInline(query, ''), 250);
  }

  // ---- events ---------------------------------------------------------------------------

  function setStatus(text, active) {
    const status = $('bot-status');
    status.textContent = text;
    status.classList.toggle('active', Boolean(active));
  }

  function chatAction(action) {
    const names = { typing: 'typing…', upload_photo: 'sending a photo…', choose_sticker: 'choosing a sticker…' };
    setStatus(names[action] || `${action.replace(/_/g, ' ')}…`, true);
    clearTimeout(state.actionTimer);
    state.actionTimer = setTimeout(() => setStatus('bot'), 5000);
  }

  function handleEvent(e) {
    switch (e.type) {
      case 'message':
      case 'edited_message':
        upsertMessage(e.message);
        if (!isOwn(e.message)) {
          clearTimeout(state.actionTimer);
          setStatus('bot');
          if (e.type === 'message') refreshKeyboard();
        }
        break;
      case 'deleted':
        removeMessage(e.message_id);
        break;
      case 'callback_answer':
        callbackAnswered(e);
        break;
      case 'inline_results':
        inlineResults(e);
        break;
      case 'payment':
        paymentEvent(e);
        break;
      case 'chat_action':
        chatAction(e.action);
        break;
      default:
        break;
    }
  }

  async function pollEvents(controller) {
    let pause = 500;
    while (!controller.signal.aborted) {
      try {
        const path = `/chats/${state.user.id}/events?after=${state.lastSeq}&timeout=${POLL_SECONDS}`;
        const r = await api('GET', path, undefined, controller.signal);
        if (controller.signal.aborted) return;
        if (r.last_seq < state.lastSeq) {
          loadChat(); // the sandbox was reset
          return;
        }
        if ($('bot-status').textContent === 'connecting…') setStatus('bot');
        for (const e of r.events) {
          if (e.seq <= state.lastSeq) continue;
          state.lastSeq = e.seq;
          handleEvent(e);
        }
        pause = 500;
      } catch (err) {
        if (controller.signal.aborted) return;
        setStatus('connecting…');
        await new Promise((resolve) => setTimeout(resolve, pause));
        pause = Math.min(pause * 2, 5000);
      }
    }
  }

  // ---- screens --------------------------------------------------------------------------

  function setBlocked(blocked) {
    state.user.blocked = blocked;
    const button = $('block');
    button.textContent = blocked ? 'Unblock' : 'Block';
    button.setAttribute('aria-pressed', String(blocked));
    button.setAttribute('aria-label', blocked ? 'Unblock the bot' : 'Block the bot');
    $('blocked-bar').hidden = !blocked;
    $('composer').hidden = blocked;
    if (blocked) $('reply-keyboard').hidden = true;
    else renderReplyKeyboard(state.replyKeyboard);
  }

  async function toggleBlock() {
    const action = state.user.blocked ? 'unblock' : 'block';
    try {
      const u = await api('POST', `/users/${state.user.id}/${action}`, {});
      setBlocked(u.blocked);
      toast(u.blocked ? `You blocked ${state.bot.first_name}` : `You unblocked ${state.bot.first_name}`);
    } catch (err) {
      toast(err.message);
    }
  }

  async function loadChat() {
    if (state.poll) state.poll.abort();
    const controller = new AbortController();
    state.poll = controller;
    const chat = await api('GET', `/chats/${state.user.id}`);
    if (controller.signal.aborted) return;
    state.nodes.clear();
    state.messages.clear();
    $('messages').replaceChildren();
    for (const m of chat.messages) upsertMessage(m);
    showEmpty();
    state.lastSeq = chat.last_seq;
    renderReplyKeyboard(chat.reply_keyboard);
    setBlocked(Boolean(state.user.blocked));
    scrollToBottom();
    pollEvents(controller);
  }

  async function openChat(user) {
    state.user = user;
    state.keyboardOpen = true;
    state.payments.clear();
    state.paymentQueries.clear();
    hideInline();
    history.replaceState(null, '', `#user=${user.id}`);
    $('me').textContent = `as ${userLabel(user)}`;
    $('me').title = `user id ${user.id}`;
    $('back').setAttribute('aria-label', `Switch user (now ${userLabel(user)})`);
    $('picker').hidden = true;
    $('chat').hidden = false;
    setStatus('bot');
    try {
      await loadChat();
    } catch (err) {
      toast(err.message);
    }
    $('input').focus();
  }

  async function showPicker() {
    if (state.poll) state.poll.abort();
    state.poll = null;
    state.user = null;
    history.replaceState(null, '', location.pathname);
    $('chat').hidden = true;
    $('picker').hidden = false;
    const list = $('user-list');
    let users = [];
    try {
      users = (await api('GET', '/users')).filter((u) => !u.is_bot);
    } catch (err) {
      toast(err.message);
    }
    list.replaceChildren(
      ...users.map((u) => {
        const details = [`id ${u.id}`, u.language_code, u.blocked ? 'blocked the bot' : null]
          .filter(Boolean)
          .join(' · ');
        return el(
          'li',
          {},
          el(
            'button',
            { type: 'button', 'aria-label': `Chat as ${userLabel(u)} (${details})`, onclick: () => openChat(u) },
            el('span', { class: 'avatar user', 'aria-hidden': 'true', text: initial(u.first_name) }),
            el('span', {}, el('span', { text: userLabel(u) }), el('small', { text: details })),
          ),
        );
      }),
    );
    $('no-users').hidden = users.length > 0;
  }

  async function createUser(ev) {
    ev.preventDefault();
    const form = ev.target;
    const body = { first_name: form.first_name.value.trim() };
    const id = form.user_id.value.trim();
    if (id) body.id = id;
    if (form.language_code.value) body.language_code = form.language_code.value;
    $('new-user-error').textContent = '';
    try {
      const user = await api('POST', '/users', body);
      form.reset();
      openChat(user);
    } catch (err) {
      $('new-user-error').textContent = err.message;
    }
  }

  async function submitComposer(ev) {
    ev.preventDefault();
    const input = $('input');
    const text = input.value.trim();
    if (!text) return;
    if (await sendText(text)) {
      input.value = '';
      onInput();
    }
  }

  async function start() {
    $('new-user').addEventListener('submit', createUser);
    $('back').addEventListener('click', showPicker);
    $('block').addEventListener('click', toggleBlock);
    $('unblock').addEventListener('click', toggleBlock);
    $('composer').addEventListener('submit', submitComposer);
    $('input').addEventListener('input', onInput);
    $('input').addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
        ev.preventDefault();
        $('composer').requestSubmit();
      } else if (ev.key === 'Escape') {
        hideInline();
      }
    });
    $('inline-toggle').addEventListener('click', () => startInline(''));
    $('keyboard-toggle').addEventListener('click', () => {
      state.keyboardOpen = !state.keyboardOpen;
      renderReplyKeyboard(state.replyKeyboard);
    });
    $('messages').addEventListener('scroll', () => {
      state.stickToBottom = nearBottom();
    });

    try {
      state.bot = await api('GET', '/bot');
    } catch (err) {
      toast(`Cannot reach the sandbox: ${err.message}`);
      return;
    }
    document.title = `${state.bot.first_name} · sandbox chat`;
    $('picker-bot').textContent = `${state.bot.first_name} (@${state.bot.username})`;
    $('bot-name').textContent = state.bot.first_name;
    $('bot-avatar').textContent = initial(state.bot.first_name);

    const wanted = /^#user=(\d+)$/.exec(location.hash);
    if (wanted) {
      try {
        await openChat(await api('GET', `/users/${wanted[1]}`));
        return;
      } catch {
        history.replaceState(null, '', location.pathname);
      }
    }
    showPicker();
  }

  start();
})();
