// A tiny bot for the web chat test, speaking the Bot API to the sandbox:
// /start answers with an inline button, pressing it edits that message,
// /contact asks for the phone with a reply keyboard, /buy sends an invoice
// that it accepts, inline queries get one result, other text is echoed.
'use strict';

function escapeHtml(text) {
  return text.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]);
}

function startEchoBot(apiUrl, token) {
  const controller = new AbortController();
  const errors = [];

  async function call(method, params) {
    const res = await fetch(`${apiUrl}/bot${token}/${method}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(params),
      signal: controller.signal,
    });
    const data = await res.json();
    if (!data.ok) throw new Error(`${method}: ${data.description}`);
    return data.result;
  }

  async function onMessage(m) {
    const chat_id = m.chat.id;
    if (m.text === '/start') {
      return call('sendMessage', {
        chat_id,
        text: `<b>Hello, ${escapeHtml(m.from.first_name)}!</b> I echo what you write. <i>Try the button:</i>`,
        parse_mode: 'HTML',
        reply_markup: { inline_keyboard: [[{ text: 'Press me', callback_data: 'pressed' }]] },
      });
    }
    if (m.text === '/contact') {
      return call('sendMessage', {
        chat_id,
        text: 'May I have your phone number?',
        reply_markup: {
          keyboard: [[{ text: 'Share my phone', request_contact: true }], [{ text: 'No, thanks' }]],
          resize_keyboard: true,
          one_time_keyboard: true,
        },
      });
    }
    if (m.text === '/buy') {
      return call('sendInvoice', {
        chat_id,
        title: 'Coffee',
        description: 'A cup of sandbox coffee',
        payload: 'coffee-1',
        currency: 'XTR',
        prices: [{ label: 'Coffee', amount: 5 }],
      });
    }
    if (m.successful_payment) return call('sendMessage', { chat_id, text: 'Thanks for the coffee!' });
    if (m.contact) {
      return call('sendMessage', {
        chat_id,
        text: `Thanks, your phone is ${m.contact.phone_number}`,
        reply_markup: { remove_keyboard: true },
      });
    }
    if (m.text) return call('sendMessage', { chat_id, text: m.text });
    return null;
  }

  async function onCallback(q) {
    await call('answerCallbackQuery', { callback_query_id: q.id, text: 'Pressed!' });
    await call('editMessageText', {
      chat_id: q.message.chat.id,
      message_id: q.message.message_id,
      text: 'The button was pressed ✓',
    });
  }

  const done = (async () => {
    let offset = 0;
    while (!controller.signal.aborted) {
      let updates;
      try {
        updates = await call('getUpdates', { offset, timeout: 10 });
      } catch (err) {
        if (!controller.signal.aborted) errors.push(err);
        return;
      }
      for (const u of updates) {
        offset = u.update_id + 1;
        try {
          if (u.message) await onMessage(u.message);
          else if (u.callback_query) await onCallback(u.callback_query);
          else if (u.pre_checkout_query) {
            await call('answerPreCheckoutQuery', { pre_checkout_query_id: u.pre_checkout_query.id, ok: true });
          } else if (u.inline_query) {
            const query = u.inline_query.query;
            await call('answerInlineQuery', {
              inline_query_id: u.inline_query.id,
              results: [
                {
                  type: 'article',
                  id: 'echo',
                  title: `Echo: ${query}`,
                  description: 'Sends the query back',
                  input_message_content: { message_text: `Echo: ${query}` },
                },
              ],
            });
          }
        } catch (err) {
          if (!controller.signal.aborted) errors.push(err);
        }
      }
    }
  })();

  return {
    errors,
    async stop() {
      controller.abort();
      await done;
    },
  };
}

module.exports = { startEchoBot };
