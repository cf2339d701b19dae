/* omnitui website chat widget (docs/chat-web.md). One <script src=".../chat/static/widget.js">
 * tag, no framework, no build step. Why it looks the way it does:
 * - strict CSP: no inline script or style; the CSS is a file loaded by URL into a shadow root
 *   (so the shop's own CSS cannot break the box), and every text goes in with textContent;
 * - privacy: no cookies, no third parties, one localStorage key ("omnitui-chat");
 * - nothing lost, nothing doubled: a message stays in storage until its ack, and is sent again
 *   with the same id after any reconnect or reload (the hub stores it once). */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || document.getElementById("omnitui-chat")) return;

  var STORE_KEY = "omnitui-chat";
  var ROOT = script.src.replace(/static\/widget\.js(?:[?#].*)?$/, "");
  var WS_ROOT = ROOT.replace(/^http/, "ws");
  var data = script.dataset;

  var STRINGS = {
    en: {
      launcher: "Chat with us", title: "Chat with us", close: "Close chat",
      intro: "Ask us anything. We usually answer within minutes.",
      name: "Your name", email: "Your email", start: "Start chat",
      consent_needed: "Please tick the box to continue.",
      email_needed: "Please give your email address so that we can answer you.",
      message: "Your message", send: "Send", attach: "Attach a file",
      offline_title: "We are away right now",
      offline_intro: "Leave us a message and we will answer by email.",
      offline_sent: "Thank you. We received your message and will answer by email.",
      sending: "Sending…", sent: "Sent", not_sent: "Not sent yet, retrying…",
      you: "You", shop: "Support", typing: "Support is typing…",
      rate_ask: "How did we do?", rate_n: "{n} of 5", rate_thanks: "Thank you for your rating.",
      too_big: "{name} is too large; files can be at most {max}.",
      bad_type: "Files of the type of {name} cannot be sent; allowed: {types}.",
      upload_failed: "{name} could not be sent: {reason}",
      too_long: "A message can be at most {max} characters.",
      reconnecting: "Connection lost. Reconnecting…",
      unavailable: "The chat is not available right now. Please try again later.",
      not_allowed: "This page may not open the chat.",
      log: "Conversation", files: "Attached files", remove: "Remove {name}"
    },
    pl: {
      launcher: "Napisz do nas", title: "Napisz do nas", close: "Zamknij czat",
      intro: "Zapytaj o cokolwiek. Zwykle odpowiadamy w kilka minut.",
      name: "Imię", email: "Adres e-mail", start: "Rozpocznij czat",
      consent_needed: "Zaznacz pole, aby kontynuować.",
      email_needed: "Podaj adres e-mail, abyśmy mogli odpowiedzieć.",
      message: "Twoja wiadomość", send: "Wyślij", attach: "Dołącz plik",
      offline_title: "Teraz nas nie ma",
      offline_intro: "Zostaw wiadomość, odpowiemy e-mailem.",
      offline_sent: "Dziękujemy. Otrzymaliśmy wiadomość i odpowiemy e-mailem.",
      sending: "Wysyłanie…", sent: "Wysłano", not_sent: "Jeszcze nie wysłano, ponawiamy…",
      you: "Ty", shop: "Obsługa", typing: "Obsługa pisze…",
      rate_ask: "Jak nam poszło?", rate_n: "{n} z 5", rate_thanks: "Dziękujemy za ocenę.",
      too_big: "Plik {name} jest za duży; limit to {max}.",
      bad_type: "Nie można wysłać plików typu {name}; dozwolone: {types}.",
      upload_failed: "Nie udało się wysłać {name}: {reason}",
      too_long: "Wiadomość może mieć najwyżej {max} znaków.",
      reconnecting: "Utracono połączenie. Łączymy ponownie…",
      unavailable: "Czat jest teraz niedostępny. Spróbuj później.",
      not_allowed: "Ta strona nie może otworzyć czatu.",
      log: "Rozmowa", files: "Załączone pliki", remove: "Usuń {name}"
    },
    ru: {
      launcher: "Напишите нам", title: "Напишите нам", close: "Закрыть чат",
      intro: "Спросите что угодно. Обычно мы отвечаем за несколько минут.",
      name: "Ваше имя", email: "Ваш e-mail", start: "Начать чат",
      consent_needed: "Отметьте согласие, чтобы продолжить.",
      email_needed: "Укажите e-mail, чтобы мы могли ответить.",
      message: "Ваше сообщение", send: "Отправить", attach: "Прикрепить файл",
      offline_title: "Сейчас мы не на связи",
      offline_intro: "Оставьте сообщение, мы ответим по e-mail.",
      offline_sent: "Спасибо. Мы получили сообщение и ответим по e-mail.",
      sending: "Отправка…", sent: "Отправлено", not_sent: "Ещё не отправлено, повторяем…",
      you: "Вы", shop: "Поддержка", typing: "Поддержка печатает…",
      rate_ask: "Как мы справились?", rate_n: "{n} из 5", rate_thanks: "Спасибо за оценку.",
      too_big: "Файл {name} слишком большой; максимум {max}.",
      bad_type: "Файлы типа {name} отправить нельзя; можно: {types}.",
      upload_failed: "Не удалось отправить {name}: {reason}",
      too_long: "Сообщение может содержать не более {max} символов.",
      reconnecting: "Связь потеряна. Подключаемся снова…",
      unavailable: "Чат сейчас недоступен. Попробуйте позже.",
      not_allowed: "Этой странице нельзя открывать чат.",
      log: "Переписка", files: "Прикреплённые файлы", remove: "Убрать {name}"
    },
    ar: {
      launcher: "تحدث معنا", title: "تحدث معنا", close: "إغلاق المحادثة",
      intro: "اسألنا عن أي شيء. نجيب عادة خلال دقائق.",
      name: "اسمك", email: "بريدك الإلكتروني", start: "ابدأ المحادثة",
      consent_needed: "يرجى تحديد المربع للمتابعة.",
      email_needed: "يرجى كتابة بريدك الإلكتروني لنتمكن من الرد عليك.",
      message: "رسالتك", send: "إرسال", attach: "إرفاق ملف",
      offline_title: "نحن غير متاحين الآن",
      offline_intro: "اترك لنا رسالة وسنرد عليك بالبريد الإلكتروني.",
      offline_sent: "شكرًا لك. وصلتنا رسالتك وسنرد بالبريد الإلكتروني.",
      sending: "جارٍ الإرسال…", sent: "أُرسلت", not_sent: "لم تُرسل بعد، نعيد المحاولة…",
      you: "أنت", shop: "الدعم", typing: "الدعم يكتب…",
      rate_ask: "كيف كانت خدمتنا؟", rate_n: "{n} من 5", rate_thanks: "شكرًا على تقييمك.",
      too_big: "الملف {name} كبير جدًا؛ الحد الأقصى {max}.",
      bad_type: "لا يمكن إرسال ملفات من نوع {name}؛ المسموح: {types}.",
      upload_failed: "تعذر إرسال {name}: {reason}",
      too_long: "يمكن أن تحتوي الرسالة على {max} حرف على الأكثر.",
      reconnecting: "انقطع الاتصال. جارٍ إعادة الاتصال…",
      unavailable: "المحادثة غير متاحة الآن. حاول لاحقًا.",
      not_allowed: "لا يُسمح لهذه الصفحة بفتح المحادثة.",
      log: "المحادثة", files: "الملفات المرفقة", remove: "إزالة {name}"
    }
  };
  var RTL = { ar: true };

  // --- small helpers -----------------------------------------------------------------------

  /* Untrusted text never carries controls or bidi overrides to the screen (DESIGN.md). */
  var UNSAFE = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/g;
  function clean(text) { return String(text == null ? "" : text).replace(UNSAFE, ""); }

  function el(tag, cls, attrs, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (attrs) for (var k in attrs) if (attrs[k] != null) node.setAttribute(k, attrs[k]);
    if (text != null) node.textContent = clean(text);
    return node;
  }

  /* Icons are SVG paths (Material Icons, Apache 2.0): no font or emoji needed on the machine. */
  var CHAT_ICON = "M20 2H4c-1.1 0-2 .9-2 2v18l4-4h14c1.1 0 2-.9 2-2V4c0-1.1-.9-2-2-2z";
  var CLIP_ICON = "M16.5 6v11.5c0 2.21-1.79 4-4 4s-4-1.79-4-4V5c0-1.38 1.12-2.5 2.5-2.5s2.5 " +
    "1.12 2.5 2.5v10.5c0 .55-.45 1-1 1s-1-.45-1-1V6H10v9.5c0 1.38 1.12 2.5 2.5 2.5s2.5-1.12 " +
    "2.5-2.5V5c0-2.21-1.79-4-4-4S7 2.79 7 5v12.5c0 3.04 2.46 5.5 5.5 5.5s5.5-2.46 " +
    "5.5-5.5V6h-1.5z";
  var SVG = "http://www.w3.org/2000/svg";

  function icon(path) {
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("class", "oc-icon");
    var shape = document.createElementNS(SVG, "path");
    shape.setAttribute("d", path);
    svg.appendChild(shape);
    return svg;
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (m, key) {
      return values[key] == null ? m : String(values[key]);
    });
  }

  function newId() {
    var bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return "w" + Array.prototype.map.call(bytes, function (b) {
      return (b + 256).toString(16).slice(1);
    }).join("");
  }

  function size(bytes) {
    if (bytes >= 1e6) return (Math.round(bytes / 1e5) / 10) + " MB";
    if (bytes >= 1e3) return Math.round(bytes / 1e3) + " kB";
    return bytes + " B";
  }

  function clock(iso) {
    var d = iso ? new Date(iso) : new Date();
    if (isNaN(d)) return "";
    return d.toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" });
  }

  function load() {
    try { return JSON.parse(localStorage.getItem(STORE_KEY)) || {}; } catch (e) { return {}; }
  }

  function save() {
    try { localStorage.setItem(STORE_KEY, JSON.stringify(state)); } catch (e) { /* private mode */ }
  }

  // --- state -------------------------------------------------------------------------------

  var state = load();
  if (state.root !== ROOT) state = { root: ROOT };  // another shop's gateway: start anew
  state.pending = state.pending || [];
  state.names = state.names || {};  // hub message id → the agent who wrote it
  state.acked = state.acked || [];
  var config = null;
  var lang = "en";
  var t = STRINGS.en;
  var ws = null, welcomed = false, everWelcomed = false, stopped = false;
  var backoff = 500, retryTimer = null, pingTimer = null, resendTimer = null, openedAt = 0;
  var shown = {};          // message keys on screen: "h<hub id>" and "c<client id>"
  var lastTyping = 0, typingTimer = null, ratingSent = false;
  var staged = [];         // uploaded files waiting for the next message: {id, name, type, size}

  function pickLanguage() {
    var wanted = [data.lang];
    (navigator.languages || [navigator.language]).forEach(function (l) { wanted.push(l); });
    wanted.push(config && config.language, "en");
    for (var i = 0; i < wanted.length; i++) {
      var code = String(wanted[i] || "").toLowerCase().split("-")[0];
      if (STRINGS[code]) return code;
    }
    return "en";
  }

  /* Built-in strings, then the shop's `web_strings` (written for its `web_language`), then the
   * page's own data-text-* attributes (data-text-title="…" sets "title"). */
  function buildStrings() {
    var out = {}, k;
    for (k in STRINGS.en) out[k] = STRINGS[lang][k] || STRINGS.en[k];
    if (config && config.strings && (config.language || "en").split("-")[0] === lang) {
      for (k in config.strings) if (k in out) out[k] = String(config.strings[k]);
    }
    for (k in data) {
      if (k.indexOf("text") === 0 && k.length > 4) {
        var key = k.slice(4).replace(/[A-Z]/g, function (c) { return "_" + c.toLowerCase(); })
          .replace(/^_/, "");
        if (key in out || key === "consent") out[key] = data[k];
      }
    }
    return out;
  }

  // --- the box -----------------------------------------------------------------------------

  var host = el("div", null, { id: "omnitui-chat" });
  var shadow = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  var css = el("link", null, { rel: "stylesheet", href: ROOT + "static/widget.css" });
  var box = el("div", "oc" + (data.position === "left" ? " oc-left" : ""), { hidden: "" });
  var ui = {};

  function build() {
    box.textContent = "";
    box.setAttribute("lang", lang);
    box.setAttribute("dir", RTL[lang] ? "rtl" : "ltr");
    ui.launcher = el("button", "oc-launcher", {
      type: "button", "aria-expanded": "false", "aria-controls": "oc-panel"
    });
    ui.launcher.appendChild(icon(CHAT_ICON));
    ui.launcher.appendChild(el("span", "oc-launcher-text", null, t.launcher));
    ui.badge = el("span", "oc-badge", { hidden: "", "aria-hidden": "true" });
    ui.launcher.appendChild(ui.badge);
    ui.panel = el("section", "oc-panel", {
      id: "oc-panel", role: "dialog", "aria-labelledby": "oc-title", hidden: ""
    });
    var head = el("header", "oc-head");
    head.appendChild(el("h2", "oc-title", { id: "oc-title" }, t.title));
    ui.close = el("button", "oc-close", { type: "button", "aria-label": t.close, title: t.close },
      "×");
    head.appendChild(ui.close);
    ui.panel.appendChild(head);
    ui.notice = el("p", "oc-notice", { role: "status", hidden: "" });
    ui.panel.appendChild(ui.notice);
    ui.prechat = buildPrechat(false);
    ui.offline = buildPrechat(true);
    ui.panel.appendChild(ui.prechat.form);
    ui.panel.appendChild(ui.offline.form);
    ui.log = el("div", "oc-log", {
      role: "log", "aria-live": "polite", "aria-label": t.log, tabindex: "0", hidden: ""
    });
    ui.panel.appendChild(ui.log);
    ui.typing = el("p", "oc-typing", { "aria-live": "polite" });
    ui.panel.appendChild(ui.typing);
    ui.rate = buildRating();
    ui.panel.appendChild(ui.rate);
    ui.compose = buildCompose();
    ui.panel.appendChild(ui.compose);
    box.appendChild(ui.launcher);
    box.appendChild(ui.panel);
    ui.launcher.addEventListener("click", function () { setOpen(ui.panel.hidden); });
    ui.close.addEventListener("click", function () { setOpen(false); });
    box.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && !ui.panel.hidden) { e.preventDefault(); setOpen(false); }
    });
  }

  function field(form, kind, label, attrs) {
    var id = "oc-" + (form.offline ? "off-" : "pre-") + kind;
    var row = el("div", "oc-field");
    row.appendChild(el("label", null, { for: id }, label));
    var input = el(kind === "message" ? "textarea" : "input", null, attrs);
    input.id = id;
    row.appendChild(input);
    form.node.appendChild(row);
    return input;
  }

  /* The pre-chat form, or (offline) the offline form: the same fields plus the message. */
  function buildPrechat(offline) {
    var f = { offline: offline,
      node: el("form", "oc-form " + (offline ? "oc-offline" : "oc-prechat"), { novalidate: "" }) };
    f.form = f.node;
    f.form.hidden = true;
    if (offline) {
      f.form.appendChild(el("h3", "oc-form-title", null, t.offline_title));
      f.note = el("p", "oc-form-note", { dir: "auto" },
        (config && config.offline_text) || t.offline_intro);
      f.form.appendChild(f.note);
    } else {
      f.form.appendChild(el("p", "oc-form-note", null, t.intro));
    }
    f.name = field(f, "name", t.name, { type: "text", autocomplete: "name", maxlength: "200",
      dir: "auto", value: state.name || "" });
    f.email = field(f, "email", t.email, { type: "email", autocomplete: "email",
      maxlength: "254", required: offline ? "" : null, value: state.email || "" });
    if (offline) {
      f.text = field(f, "message", t.message, { rows: "4", dir: "auto", required: "",
        maxlength: String(maxText()) });
    }
    var consentText = t.consent || (config && config.consent_text) || "";
    if (consentText) {
      var row = el("div", "oc-consent");
      f.consent = el("input", null, { type: "checkbox" });
      f.consent.id = "oc-" + (offline ? "off" : "pre") + "-consent";
      f.consent.required = true;
      row.appendChild(f.consent);
      row.appendChild(el("label", null, { for: f.consent.id, dir: "auto" }, consentText));
      f.form.appendChild(row);
    }
    f.error = el("p", "oc-error", { role: "alert" });
    f.form.appendChild(f.error);
    f.submit = el("button", "oc-primary", { type: "submit" }, offline ? t.send : t.start);
    f.form.appendChild(f.submit);
    f.form.addEventListener("submit", function (e) {
      e.preventDefault();
      submitPrechat(f);
    });
    return f;
  }

  function buildRating() {
    var group = el("div", "oc-rate", { role: "group", "aria-labelledby": "oc-rate-ask",
      hidden: "" });
    group.appendChild(el("p", "oc-rate-ask", { id: "oc-rate-ask" }, t.rate_ask));
    var row = el("div", "oc-rate-buttons");
    for (var n = 1; n <= 5; n++) {
      var b = el("button", "oc-rate-button", { type: "button", "aria-label": fill(t.rate_n,
        { n: n }), "data-score": String(n) }, String(n));
      b.addEventListener("click", onRate);
      row.appendChild(b);
    }
    group.appendChild(row);
    return group;
  }

  function buildCompose() {
    var form = el("form", "oc-compose", { hidden: "" });
    form.appendChild(el("label", "oc-sr", { for: "oc-text" }, t.message));
    ui.files = el("ul", "oc-staged", { "aria-label": t.files, hidden: "" });
    form.appendChild(ui.files);
    var row = el("div", "oc-compose-row");
    ui.text = el("textarea", "oc-text", { id: "oc-text", rows: "2", dir: "auto",
      maxlength: String(maxText()), placeholder: t.message });
    row.appendChild(ui.text);
    ui.file = el("input", "oc-file", { type: "file", id: "oc-file", tabindex: "-1",
      "aria-hidden": "true" });
    if (config && config.upload && config.upload.types) {
      ui.file.setAttribute("accept", config.upload.types.join(","));
    }
    row.appendChild(ui.file);
    ui.attach = el("button", "oc-attach", { type: "button", "aria-label": t.attach,
      title: t.attach });
    ui.attach.appendChild(icon(CLIP_ICON));
    row.appendChild(ui.attach);
    ui.send = el("button", "oc-send oc-primary", { type: "submit" }, t.send);
    row.appendChild(ui.send);
    form.appendChild(row);
    ui.error = el("p", "oc-error", { role: "alert" });
    form.appendChild(ui.error);
    form.addEventListener("submit", function (e) { e.preventDefault(); submitCompose(); });
    ui.text.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        submitCompose();
      }
    });
    ui.text.addEventListener("input", onTyping);
    ui.attach.addEventListener("click", function () { ui.file.click(); });
    ui.file.addEventListener("change", function () {
      var files = Array.prototype.slice.call(ui.file.files || []);
      ui.file.value = "";
      files.forEach(upload);
    });
    return form;
  }

  function maxText() { return (config && config.limits && config.limits.text) || 8000; }

  // --- views -------------------------------------------------------------------------------

  function setOpen(open) {
    ui.panel.hidden = !open;
    box.classList.toggle("oc-open", open);
    ui.launcher.setAttribute("aria-expanded", open ? "true" : "false");
    state.open = open;
    save();
    if (open) {
      ui.badge.hidden = true;
      showView();
      focusFirst();
    } else {
      ui.launcher.focus();
    }
  }

  /* Which of the three faces the box shows: the pre-chat form, the offline form, the chat. */
  function showView() {
    if (stopped) return;
    var view = state.started ? "chat" : (config && config.online === false ? "offline" : "pre");
    ui.prechat.form.hidden = view !== "pre";
    ui.offline.form.hidden = view !== "offline";
    ui.log.hidden = view !== "chat";
    ui.compose.hidden = view !== "chat";
    if (view === "chat" && !ws) connect();
    else if (view === "chat" && ws.readyState === 1 && !welcomed) sayHello();
  }

  function focusFirst() {
    var target = !ui.prechat.form.hidden ? ui.prechat.name
      : !ui.offline.form.hidden ? ui.offline.name : ui.text;
    if (target) target.focus();
  }

  function notice(text) {
    ui.notice.textContent = clean(text || "");
    ui.notice.hidden = !text;
  }

  function stop(text) {
    stopped = true;
    var socket = ws;
    ws = null;
    if (socket) { try { socket.close(1000); } catch (e) { /* closed */ } }
    clearTimeout(retryTimer);
    clearInterval(pingTimer);
    ui.prechat.form.hidden = ui.offline.form.hidden = true;
    ui.compose.hidden = ui.rate.hidden = true;
    ui.log.hidden = true;
    notice(text);
  }

  // --- pre-chat and offline forms -----------------------------------------------------------

  function submitPrechat(f) {
    var name = f.name.value.trim(), email = f.email.value.trim();
    f.error.textContent = "";
    if ((f.offline || email) && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
      f.error.textContent = t.email_needed;
      f.email.focus();
      return;
    }
    if (f.consent && !f.consent.checked) {
      f.error.textContent = t.consent_needed;
      f.consent.focus();
      return;
    }
    var text = f.text ? f.text.value.trim() : "";
    if (f.offline && !text) {
      f.text.focus();
      return;
    }
    if (text.length > maxText()) {
      f.error.textContent = fill(t.too_long, { max: maxText() });
      return;
    }
    state.name = name;
    state.email = email;
    state.consent = !!f.consent;
    state.started = true;
    if (f.offline) state.offlineId = queue(text, []).id;  // thanked for once it is stored
    save();
    showView();
    ui.text.focus();
  }

  // --- the conversation --------------------------------------------------------------------

  function download(file, button) {
    fetch(ROOT + "file/" + encodeURIComponent(file.id), { credentials: "omit",
      headers: { Authorization: "Bearer " + state.token } }).then(function (r) {
      if (!r.ok) throw new Error(String(r.status));
      return r.blob();
    }).then(function (blob) {
      var url = URL.createObjectURL(blob);
      var link = el("a", null, { href: url, download: clean(file.name), hidden: "" });
      ui.log.appendChild(link);
      link.click();
      link.remove();
      setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
      button.removeAttribute("aria-invalid");
    }).catch(function () { button.setAttribute("aria-invalid", "true"); });
  }

  function addMessage(key, from, text, at, who, files, status) {
    if (shown[key]) return shown[key];
    var item = el("div", "oc-msg oc-from-" + from);
    var meta = el("div", "oc-meta");
    meta.appendChild(el("span", "oc-who", { dir: "auto" }, who));
    meta.appendChild(el("time", "oc-time", at ? { datetime: at } : null, clock(at)));
    item.appendChild(meta);
    if (text) item.appendChild(el("p", "oc-body", { dir: "auto" }, text));
    if (files && files.length) {
      var list = el("ul", "oc-files", { "aria-label": t.files });
      files.forEach(function (file) {
        var li = el("li", "oc-file-item");
        li.appendChild(icon(CLIP_ICON));
        var label = file.name + (file.size ? " (" + size(file.size) + ")" : "");
        if (file.id) {  // a file the shop sent: fetched with this visitor's token only
          var get = el("button", "oc-file-get", { type: "button", dir: "auto" }, label);
          get.addEventListener("click", function () { download(file, get); });
          li.appendChild(get);
        } else {
          li.appendChild(el("span", null, { dir: "auto" }, label));
        }
        list.appendChild(li);
      });
      item.appendChild(list);
    }
    if (status) {
      item.appendChild(el("span", "oc-state oc-state-" + status, null, t[status]));
    }
    ui.log.appendChild(item);
    ui.log.scrollTop = ui.log.scrollHeight;
    shown[key] = item;
    return item;
  }

  function setStatus(key, status) {
    var item = shown[key];
    if (!item) return;
    var span = item.querySelector(".oc-state");
    if (!span) return;
    span.className = "oc-state oc-state-" + status;
    span.textContent = t[status];
  }

  /* A reconnect's welcome repeats what is on screen: agent entries are matched by the hub's id;
   * the visitor's own lines written on this page are on screen already (sent, or still waiting
   * for their ack), so only the first welcome of a page draws them. */
  function onWelcome(frame) {
    var first = !everWelcomed;
    everWelcomed = true;
    welcomed = true;
    state.visitor = frame.visitor;
    notice(state.offlineSent && frame.online === false ? t.offline_sent : "");
    var stored = {};
    if (first) {  // drawn anew in the hub's order; the waiting messages follow
      ui.log.setAttribute("aria-busy", "true");  // a screen reader reads history on request
      ui.log.textContent = "";
      shown = {};
    }
    (frame.history || []).forEach(function (h) {
      if (h.client_id) stored[h.client_id] = true;
      if (h.from === "customer" && h.client_id && shown["c" + h.client_id]) {
        shown["h" + h.id] = shown["c" + h.client_id];
        setStatus("c" + h.client_id, "sent");
        return;
      }
      if (h.from === "customer" && !first) return;
      addMessage("h" + h.id, h.from === "agent" ? "agent" : "customer", h.text, h.at,
        h.from === "agent" ? (h.agent || state.names[h.id] || t.shop) : (state.name || t.you),
        h.attachments,
        h.from === "customer" ? "sent" : null);
    });
    ui.log.setAttribute("aria-busy", "false");
    state.pending = state.pending.filter(function (m) { return !stored[m.id]; });
    save();
    state.pending.forEach(function (m) {
      showPending(m);
      sendFrame({ type: "message", id: m.id, text: m.text,
        attachments: m.files.length ? m.files.map(function (f) { return f.id; }) : undefined });
    });
  }

  function showPending(m) {
    addMessage("c" + m.id, "customer", m.text, m.at, state.name || t.you, m.files, "sending");
  }

  function queue(text, files) {
    var m = { id: newId(), text: text, files: files, at: new Date().toISOString() };
    state.pending.push(m);
    save();
    showPending(m);
    if (welcomed) {
      sendFrame({ type: "message", id: m.id, text: text,
        attachments: files.length ? files.map(function (f) { return f.id; }) : undefined });
    }
    return m;
  }

  function submitCompose() {
    var text = ui.text.value.trim();
    ui.error.textContent = "";
    if (!text && !staged.length) return;
    if (text.length > maxText()) {
      ui.error.textContent = fill(t.too_long, { max: maxText() });
      return;
    }
    queue(text, staged.slice());
    staged = [];
    renderStaged();
    ui.text.value = "";
    ui.text.focus();
  }

  function onAck(frame) {
    if (frame.id == null) {  // a rating's ack
      ui.rate.hidden = false;
      ui.rate.querySelector(".oc-rate-buttons").hidden = true;
      ui.rate.querySelector(".oc-rate-ask").textContent = t.rate_thanks;
      return;
    }
    var id = String(frame.id);
    if (id === state.offlineId) {
      state.offlineSent = true;
      notice(t.offline_sent);
    }
    state.pending = state.pending.filter(function (m) { return m.id !== id; });
    remember(id);
    save();
    setStatus("c" + id, "sent");
  }

  /* The last client ids the hub acknowledged (to this tab or another): never waiting again. */
  function remember(id) {
    if (state.acked.indexOf(id) >= 0) return;
    state.acked.push(id);
    if (state.acked.length > 100) state.acked.shift();
  }

  function onReply(frame) {
    var key = "h" + frame.id;
    var fresh = !shown[key];
    if (frame.agent && state.names[frame.id] !== frame.agent) {
      // Remembered for the history after a reload, which may not name who answered.
      state.names[frame.id] = frame.agent;
      var ids = Object.keys(state.names);
      if (ids.length > 100) delete state.names[ids[0]];
      save();
    }
    addMessage(key, "agent", frame.text, frame.at, frame.agent || t.shop, frame.attachments);
    sendFrame({ type: "delivered", id: String(frame.id) });
    showTyping(false);
    if (fresh && ui.panel.hidden) ui.badge.hidden = false;
  }

  function showTyping(on) {
    clearTimeout(typingTimer);
    ui.typing.textContent = on ? t.typing : "";
    // Consoles repeat the mark while the agent types; a silent one has stopped.
    if (on) typingTimer = setTimeout(function () { showTyping(false); }, 6000);
  }

  function onTyping() {
    var now = Date.now();
    if (welcomed && now - lastTyping > 3000 && ui.text.value) {
      lastTyping = now;
      sendFrame({ type: "typing" });
    }
  }

  function onRate(e) {
    if (ratingSent) return;
    ratingSent = true;
    sendFrame({ type: "rating", score: Number(e.currentTarget.getAttribute("data-score")) });
  }

  function onError(frame) {
    if (!welcomed && frame.code === "bad_field") {
      // The hub refused the hello (an address it cannot use, consent the shop now asks for):
      // back to the form, with the hub's sentence; what was written waits in storage.
      state.started = false;
      save();
      showView();
      var form = config && config.online === false ? ui.offline : ui.prechat;
      if (form === ui.offline && state.pending.length) {
        // Never sent (the hello was refused): back into the form, so a second try is one.
        form.text.value = state.pending.map(function (m) { return m.text; }).join("\n\n");
        state.pending.forEach(function (m) {
          if (shown["c" + m.id]) shown["c" + m.id].remove();
          delete shown["c" + m.id];
        });
        state.pending = [];
        save();
      }
      form.error.textContent = clean(frame.message || "");
      return;
    }
    if (frame.code === "rate_limited") {
      // Not stored: the same ids go again shortly (the hub stores each once). The bubbles say
      // so; the hub's sentence asks for a resend the widget does by itself.
      clearTimeout(resendTimer);
      resendTimer = setTimeout(resendPending, 3000);
      state.pending.forEach(function (m) { setStatus("c" + m.id, "not_sent"); });
      return;
    }
    ui.error.textContent = clean(frame.message || "");
  }

  function resendPending() {
    if (!welcomed) return;
    state.pending.forEach(function (m) {
      sendFrame({ type: "message", id: m.id, text: m.text,
        attachments: m.files.length ? m.files.map(function (f) { return f.id; }) : undefined });
    });
  }

  // --- uploads -----------------------------------------------------------------------------

  function upload(file) {
    var limits = (config && config.upload) || {};
    ui.error.textContent = "";
    if (limits.max_bytes && file.size > limits.max_bytes) {
      ui.error.textContent = fill(t.too_big, { name: clean(file.name), max: size(limits.max_bytes) });
      return;
    }
    if (limits.types && limits.types.length && limits.types.indexOf(file.type) < 0) {
      ui.error.textContent = fill(t.bad_type, { name: clean(file.name),
        types: limits.types.join(", ") });
      return;
    }
    var body = new FormData();
    body.append("file", file, file.name);
    ensureToken().then(function () {
      return fetch(ROOT + "upload", { method: "POST", body: body, credentials: "omit",
        headers: { Authorization: "Bearer " + state.token } });
    }).then(function (resp) {
      return resp.json().then(function (answer) {
        if (!resp.ok) throw new Error((answer.error && answer.error.message) || resp.status);
        staged.push({ id: answer.id, name: answer.name, type: answer.type, size: answer.size });
        renderStaged();
        if (!ui.text.value.trim()) submitCompose();
      });
    }).catch(function (err) {
      ui.error.textContent = fill(t.upload_failed, { name: clean(file.name),
        reason: clean(err.message || err) });
    });
  }

  function renderStaged() {
    ui.files.textContent = "";
    ui.files.hidden = !staged.length;
    staged.forEach(function (f, i) {
      var li = el("li", "oc-staged-item");
      li.appendChild(icon(CLIP_ICON));
      li.appendChild(el("span", null, { dir: "auto" }, f.name));
      var rm = el("button", "oc-unstage", { type: "button",
        "aria-label": fill(t.remove, { name: clean(f.name) }) }, "×");
      rm.addEventListener("click", function () { staged.splice(i, 1); renderStaged(); });
      li.appendChild(rm);
      ui.files.appendChild(li);
    });
  }

  // --- the connection ----------------------------------------------------------------------

  function ensureToken() {
    if (state.token) return Promise.resolve(state.token);
    return fetch(ROOT + "session", { method: "POST", credentials: "omit" }).then(function (r) {
      return r.json().then(function (answer) {
        if (r.status === 403) { stop(t.not_allowed); throw new Error(t.not_allowed); }
        if (!r.ok) throw new Error((answer.error && answer.error.message) || r.status);
        state.token = answer.token;
        state.visitor = answer.visitor;
        save();
        return state.token;
      });
    });
  }

  function connect() {
    if (stopped || ws) return;
    clearTimeout(retryTimer);
    ensureToken().then(function () {
      if (stopped || ws) return;
      var socket = new WebSocket(WS_ROOT + "ws?token=" + encodeURIComponent(state.token));
      ws = socket;
      socket.onopen = function () {
        openedAt = Date.now();
        sayHello();
        pingTimer = setInterval(function () { sendFrame({ type: "ping" }); }, 25000);
      };
      socket.onmessage = function (e) {
        var frame;
        try { frame = JSON.parse(e.data); } catch (err) { return; }
        if (frame.type === "welcome") { notice(""); onWelcome(frame); }
        else if (frame.type === "ack") onAck(frame);
        else if (frame.type === "message") onReply(frame);
        else if (frame.type === "offline") notice(state.offlineSent ? t.offline_sent : frame.text);
        else if (frame.type === "typing") showTyping(!!frame.typing);
        else if (frame.type === "rate_request") { ratingSent = false; showRating(); }
        else if (frame.type === "error") onError(frame);
      };
      socket.onclose = function (e) { onClose(socket, e.code); };
    }).catch(function () { retry(); });
  }

  function sayHello() {
    var hello = { type: "hello" };
    if (state.name) hello.name = state.name;
    if (state.email) hello.email = state.email;
    if (state.consent) hello.consent = true;
    sendFrame(hello);
  }

  function showRating() {
    ui.rate.hidden = false;
    ui.rate.querySelector(".oc-rate-buttons").hidden = false;
    ui.rate.querySelector(".oc-rate-ask").textContent = t.rate_ask;
  }

  function onClose(socket, code) {
    if (ws !== socket) return;
    ws = null;
    welcomed = false;
    clearInterval(pingTimer);
    showTyping(false);
    if (code === 4403) { stop(t.not_allowed); return; }
    if (code === 4401) { state.token = null; save(); }
    if (Date.now() - openedAt > 10000) backoff = 500;
    retry();
  }

  function retry() {
    if (stopped) return;
    if (state.started) notice(t.reconnecting);
    var wait = backoff * (0.5 + Math.random());
    backoff = Math.min(backoff * 2, 30000);
    clearTimeout(retryTimer);
    retryTimer = setTimeout(connect, wait);
  }

  function sendFrame(frame) {
    if (ws && ws.readyState === 1) ws.send(JSON.stringify(frame));
  }

  // --- start -------------------------------------------------------------------------------

  /* (Re)builds the box for a config; also after a failed first fetch showed "unavailable". */
  function start(cfg) {
    config = cfg || {};
    stopped = false;
    lang = pickLanguage();
    t = buildStrings();
    build();
    if (config.allowed === false) { stop(t.not_allowed); return; }
    if (state.open) setOpen(true);
    state.pending.forEach(showPending);  // until the hub's welcome, what waits is on screen
    if (state.started) connect();
  }

  function fetchConfig(wait) {
    fetch(ROOT + "config", { credentials: "omit" }).then(function (r) {
      if (!r.ok) throw new Error(r.status);
      return r.json();
    }).then(function (cfg) {
      state.config = cfg;
      save();
      start(cfg);
    }, function () {
      if (!ui.launcher && state.started && state.config) {
        // A reload while the hub is down: the chat goes on from the last config, and what
        // the visitor writes waits in storage until the connection is back.
        start(state.config);
        return;
      }
      if (!ui.launcher) {  // show the box anyway, so the visitor learns why nothing happens
        lang = pickLanguage();
        t = buildStrings();
        build();
        stop(t.unavailable);
      }
      probeOrigin(function (refused) {
        if (refused) { stop(t.not_allowed); return; }
        setTimeout(function () { fetchConfig(Math.min(wait * 2, 60000)); }, wait);
      });
    });
  }

  /* A browser hides an answer to a page whose origin the gateway refuses, so a failed fetch
   * looks like a gateway that is down. A WebSocket's close code is not hidden: without a token
   * the gateway closes 4403 for a refused origin (and 4401 otherwise), opening nothing. */
  function probeOrigin(done) {
    var probe;
    try { probe = new WebSocket(WS_ROOT + "ws"); } catch (e) { done(false); return; }
    probe.onclose = function (e) { done(e.code === 4403); };
  }

  /* Another tab of the same shop wrote the key: take its visitor and its waiting messages,
   * so neither tab's next write drops what the other one knows. */
  window.addEventListener("storage", function (e) {
    if (e.key !== STORE_KEY || !e.newValue) return;
    var other;
    try { other = JSON.parse(e.newValue); } catch (err) { return; }
    if (!other || other.root !== ROOT) return;
    ["token", "visitor", "name", "email", "consent", "started"].forEach(function (k) {
      if (other[k] !== undefined) state[k] = other[k];
    });
    var known = {};
    (other.acked || []).forEach(function (id) { remember(id); });
    state.acked.forEach(function (id) { known[id] = true; });
    state.pending.forEach(function (m) { known[m.id] = true; });
    (other.pending || []).forEach(function (m) { if (!known[m.id]) state.pending.push(m); });
    state.pending = state.pending.filter(function (m) { return state.acked.indexOf(m.id) < 0; });
    for (var id in other.names || {}) state.names[id] = other.names[id];
  });

  function reveal() { box.hidden = false; }
  css.addEventListener("load", reveal);
  css.addEventListener("error", reveal);
  shadow.appendChild(css);
  shadow.appendChild(box);
  (document.body || document.documentElement).appendChild(host);
  fetchConfig(2000);
})();
