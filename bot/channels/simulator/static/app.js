// The simulator page: posts what you type or press to /simulator/api/messages and draws the
// bot's replies (text, choices, cards, links, documents) the way a chat app would.
// No framework and no build step: one file the server ships as it is.
"use strict";

(() => {
  const API = "/simulator/api";
  const STORAGE_KEY = "citybot.simulator";
  const NEW_VISITOR = "new";

  // The page's own words; what the bot says comes from the server in the chosen language.
  const UI = {
    th: {
      tagline: "เครื่องจำลองแชต — คุยกับบอทเหมือนใน LINE หรือ Telegram",
      settingsTitle: "ตั้งค่าการจำลอง",
      personaLabel: "คุยในฐานะ",
      newVisitor: "ผู้เยี่ยมชมใหม่ (รหัสสุ่ม)",
      demoMembers: "สมาชิกตัวอย่าง",
      nameLabel: "ชื่อที่แสดง",
      namePlaceholder: "ไม่บังคับ",
      languageLabel: "ภาษา",
      restart: "เริ่มใหม่",
      logTitle: "บทสนทนา",
      messageLabel: "ข้อความถึงบอท",
      messagePlaceholder: "พิมพ์ข้อความหรือรหัสเชิญ แล้วกด Enter",
      send: "ส่ง",
      you: "คุณ",
      bot: "บอท",
      account: "บัญชีในเครื่องจำลอง",
      startNew: "เริ่มบทสนทนาใหม่ในฐานะผู้เยี่ยมชมใหม่ พิมพ์ “สวัสดี” หรือรหัสเชิญเพื่อเริ่มต้น",
      startAs: "เริ่มบทสนทนาในฐานะ {name} ลองพิมพ์ “เมนู” หรือ /help",
      typing: "บอทกำลังตอบ…",
      noReply: "บอทไม่ได้ตอบข้อความนี้",
      failed: "ส่งไม่สำเร็จ (HTTP {status}) ลองอีกครั้ง",
      offline: "ติดต่อเซิร์ฟเวอร์ไม่ได้ ตรวจว่า citybot serve ยังทำงานอยู่",
      personasFailed: "โหลดรายชื่อสมาชิกตัวอย่างไม่ได้",
      open: "เปิด",
      download: "ดาวน์โหลด",
      unknownReply: "(ข้อความชนิดที่หน้านี้แสดงไม่ได้: {type})",
      badLink: "(ลิงก์ไม่ถูกต้อง)",
    },
    en: {
      tagline: "Chat simulator — talk to the bot as you would on LINE or Telegram",
      settingsTitle: "Simulator settings",
      personaLabel: "Chat as",
      newVisitor: "New visitor (random id)",
      demoMembers: "Demo members",
      nameLabel: "Display name",
      namePlaceholder: "optional",
      languageLabel: "Language",
      restart: "Start over",
      logTitle: "Conversation",
      messageLabel: "Message to the bot",
      messagePlaceholder: "Type a message or an invite code, then press Enter",
      send: "Send",
      you: "You",
      bot: "Bot",
      account: "Simulator account",
      startNew: "A new conversation as a new visitor. Type “hello” or an invite code to begin.",
      startAs: "A new conversation as {name}. Try “menu” or /help.",
      typing: "The bot is answering…",
      noReply: "The bot did not answer this message",
      failed: "Sending failed (HTTP {status}); try again",
      offline: "Cannot reach the server; is citybot serve still running?",
      personasFailed: "Could not load the demo members",
      open: "Open",
      download: "Download",
      unknownReply: "(a reply this page cannot show: {type})",
      badLink: "(invalid link)",
    },
  };

  const $ = (id) => document.getElementById(id);
  const els = {
    persona: $("persona"),
    name: $("name"),
    language: $("language"),
    restart: $("restart"),
    who: $("who"),
    log: $("log"),
    composer: $("composer"),
    message: $("message"),
    send: $("send"),
  };

  const state = {
    persona: NEW_VISITOR,
    user: "",
    language: "th",
    personas: [],
    busy: false,
  };

  function t(key, values = {}) {
    const template = (UI[state.language] || UI.th)[key] || UI.th[key] || key;
    return template.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
  }

  function randomVisitorId() {
    const bytes = new Uint8Array(6);
    crypto.getRandomValues(bytes);
    return "web-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // --- remembering the tab's conversation across reloads -------------------------------------

  function save() {
    const kept = { persona: state.persona, user: state.user, language: state.language };
    kept.name = els.name.value;
    try {
      sessionStorage.setItem(STORAGE_KEY, JSON.stringify(kept));
    } catch {
      // Private windows may refuse storage; the page works without it.
    }
  }

  function restore() {
    try {
      return JSON.parse(sessionStorage.getItem(STORAGE_KEY) || "null");
    } catch {
      return null;
    }
  }

  // --- drawing -------------------------------------------------------------------------------

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  // Only web links open; anything else (javascript:, data:) is shown, never followed.
  function safeUrl(url) {
    try {
      const parsed = new URL(url, window.location.href);
      return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
    } catch {
      return null;
    }
  }

  function linkButton(label, url) {
    const href = safeUrl(url);
    if (href === null) return el("span", "bad-link", `${label} ${t("badLink")}`);
    const link = el("a", "button link", label);
    link.href = href;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    return link;
  }

  function payloadButton(label, payload) {
    const button = el("button", "button choice", label);
    button.type = "button";
    button.addEventListener("click", () => send({ payload }, label));
    return button;
  }

  // To the page's end, not the newest message's: the composer is sticky at the bottom, so
  // aligning the message with the window's edge would leave its last lines and buttons under it.
  function scrollToEnd() {
    window.scrollTo({ top: document.documentElement.scrollHeight, behavior: "smooth" });
  }

  function addMessage(kind, ...children) {
    const item = el("li", `message ${kind}`);
    if (kind === "user" || kind === "bot") {
      item.append(el("span", "visually-hidden", `${t(kind === "user" ? "you" : "bot")}: `));
    }
    item.append(...children);
    els.log.append(item);
    scrollToEnd();
    return item;
  }

  function paragraph(text, className = "text") {
    return el("p", className, text);
  }

  function actions(label, buttons) {
    const group = el("div", "actions");
    group.setAttribute("role", "group");
    if (label) group.setAttribute("aria-label", label);
    group.append(...buttons);
    return group;
  }

  function drawCard(card) {
    const panel = el("article", "card");
    if (card.image_url && safeUrl(card.image_url)) {
      const image = el("img", "card-image");
      image.src = safeUrl(card.image_url);
      image.alt = "";
      image.loading = "lazy";
      panel.append(image);
    }
    panel.append(el("h3", "card-title", card.title));
    if (card.subtitle) panel.append(paragraph(card.subtitle, "card-subtitle"));
    const buttons = card.buttons.map((button) =>
      button.url ? linkButton(button.label, button.url) : payloadButton(button.label, button.payload),
    );
    if (card.link && !card.buttons.some((button) => button.url === card.link)) {
      buttons.unshift(linkButton(t("open"), card.link));
    }
    if (buttons.length) panel.append(actions(card.title, buttons));
    return panel;
  }

  function drawReply(reply) {
    switch (reply.type) {
      case "text":
        return addMessage("bot", paragraph(reply.text));
      case "choices":
        return addMessage(
          "bot",
          paragraph(reply.text),
          actions(
            reply.text.split("\n")[0],
            reply.options.map((option) => payloadButton(option.label, option.payload)),
          ),
        );
      case "cards": {
        const cards = el("div", "cards");
        cards.append(...reply.cards.map(drawCard));
        return addMessage("bot", paragraph(reply.text), cards);
      }
      case "link":
        return addMessage("bot", paragraph(reply.text), actions(null, [linkButton(reply.label, reply.url)]));
      case "document": {
        const parts = [el("p", "document-title", `📄 ${reply.title}`)];
        if (reply.caption) parts.push(paragraph(reply.caption));
        const label = reply.file_name ? `${t("download")} ${reply.file_name}` : t("download");
        parts.push(actions(null, [linkButton(label, reply.url)]));
        return addMessage("bot", ...parts);
      }
      default:
        return addMessage("bot", paragraph(t("unknownReply", { type: String(reply.type) })));
    }
  }

  function addNote(text) {
    return addMessage("system", paragraph(text));
  }

  // --- talking to the server -----------------------------------------------------------------

  function setBusy(busy) {
    state.busy = busy;
    els.send.disabled = busy;
    els.log.setAttribute("aria-busy", String(busy));
    document.querySelector(".message.typing")?.remove();
    if (busy) {
      const typing = addMessage("typing", paragraph(t("typing")));
      typing.setAttribute("aria-hidden", "true");
    }
  }

  async function send(content, shown) {
    if (state.busy) return;
    addMessage("user", paragraph(shown));
    const body = { user: state.user, language: state.language, ...content };
    const name = els.name.value.trim();
    if (name) body.display_name = name;
    setBusy(true);
    let replies = null;
    let problem = null;
    try {
      const response = await fetch(`${API}/messages`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(body),
      });
      if (response.ok) {
        const answer = await response.json();
        replies = answer.replies;
        followLanguage(answer.language);
      } else problem = t("failed", { status: response.status });
    } catch {
      problem = t("offline");
    } finally {
      setBusy(false);
    }
    if (problem !== null) {
      addNote(problem);
      return;
    }
    replies.forEach(drawReply);
    if (!replies.length) addNote(t("noReply"));
  }

  async function loadPersonas() {
    try {
      const response = await fetch(`${API}/personas`, { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      state.personas = (await response.json()).personas;
    } catch {
      state.personas = [];
      addNote(t("personasFailed"));
    }
    drawPersonaOptions();
  }

  // --- settings ------------------------------------------------------------------------------

  function personaName(persona) {
    const organisation = persona.organisation.name[state.language] || persona.organisation.name.th;
    const role = persona.role_label[state.language] || persona.role_label.th;
    return `${persona.display_name || persona.user} — ${role}, ${organisation}`;
  }

  function drawPersonaOptions() {
    const selected = state.persona;
    els.persona.replaceChildren(el("option", null, t("newVisitor")));
    els.persona.firstElementChild.value = NEW_VISITOR;
    if (state.personas.length) {
      const group = el("optgroup");
      group.label = t("demoMembers");
      for (const persona of state.personas) {
        const option = el("option", null, personaName(persona));
        option.value = persona.user;
        group.append(option);
      }
      els.persona.append(group);
    }
    const known = selected === NEW_VISITOR || state.personas.some((p) => p.user === selected);
    els.persona.value = known ? selected : NEW_VISITOR;
    if (!known) startConversation(NEW_VISITOR);
  }

  function translatePage() {
    document.documentElement.lang = state.language;
    for (const node of document.querySelectorAll("[data-ui]")) node.textContent = t(node.dataset.ui);
    for (const node of document.querySelectorAll("[data-ui-placeholder]")) {
      node.placeholder = t(node.dataset.uiPlaceholder);
    }
    els.who.textContent = `${t("account")}: ${state.user}`;
    if (state.personas.length) drawPersonaOptions();
  }

  // The bot answers in the account's language, which a reply may have just changed (/lang en):
  // the page's own words and language menu follow it.
  function followLanguage(language) {
    if (!Object.hasOwn(UI, language) || language === state.language) return;
    state.language = language;
    els.language.value = language;
    translatePage();
    save();
  }

  function startConversation(persona) {
    state.persona = persona;
    const demo = state.personas.find((p) => p.user === persona);
    state.user = demo ? demo.user : randomVisitorId();
    if (demo) {
      state.language = demo.language;
      els.language.value = demo.language;
      translatePage();
    }
    els.log.replaceChildren();
    els.who.textContent = `${t("account")}: ${state.user}`;
    addNote(demo ? t("startAs", { name: personaName(demo) }) : t("startNew"));
    save();
    els.message.focus();
  }

  function submitMessage() {
    const text = els.message.value.trim();
    if (!text || state.busy) return;
    els.message.value = "";
    send({ text }, text);
  }

  els.composer.addEventListener("submit", (event) => {
    event.preventDefault();
    submitMessage();
  });
  // Enter sends, Shift+Enter starts a new line; an input method still composing keeps its Enter.
  els.message.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submitMessage();
    }
  });
  els.persona.addEventListener("change", () => startConversation(els.persona.value));
  els.restart.addEventListener("click", () => startConversation(els.persona.value));
  els.language.addEventListener("change", () => {
    state.language = els.language.value;
    translatePage();
    save();
  });
  els.name.addEventListener("change", save);

  const kept = restore();
  if (kept && typeof kept.user === "string" && kept.user) {
    state.persona = kept.persona || NEW_VISITOR;
    state.user = kept.user;
    state.language = kept.language === "en" ? "en" : "th";
    els.language.value = state.language;
    els.name.value = kept.name || "";
    translatePage();
    addNote(state.persona === NEW_VISITOR ? t("startNew") : t("startAs", { name: state.user }));
  } else {
    state.user = randomVisitorId();
    translatePage();
    addNote(t("startNew"));
    save();
  }
  loadPersonas();
})();
