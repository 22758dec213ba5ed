// medoracle: progressive enhancement only. Every form works without this file.
// HTML inserted here comes from the server's autoescaped templates; document text never reaches innerHTML raw.
(function () {
  "use strict";

  function setAudienceCookie(value) {
    document.cookie = "audience=" + encodeURIComponent(value) + "; path=/; max-age=31536000; SameSite=Lax";
  }

  // "Which best describes you?": remember the choice (the article page shows it with its "Show" button).
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("fieldset[data-remember] input[name=audience]")) return;
    setAudienceCookie(input.value);
    document.querySelectorAll("form.followup input[type=hidden][name=audience]").forEach(function (h) {
      h.value = input.value;
    });
  });

  // Suggested follow-up questions are links to the ask box, and rephrasings of an abstention forms that ask
  // (no script needed); here both ask at once, streamed into the conversation through its follow-up box.
  document.addEventListener("click", function (event) {
    var chip = event.target.closest && event.target.closest("a.chip[data-fill], form.rephrase button[data-fill]");
    if (!chip) return;
    var form = document.querySelector("form.followup[data-stream]:not([hidden])");
    if (!form || !window.EventSource) return;
    event.preventDefault();
    form.elements.q.value = chip.getAttribute("data-fill");
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  });

  // A citation opens its quoted passage inline, next to the sentence (Enter, Space, click or touch); the
  // passage offers the full reference, and the reference list links back to each sentence that cites it.
  function citationPanel(link) {
    var ref = document.getElementById(link.getAttribute("data-ref"));
    var panel = document.createElement("span");
    panel.className = "cite-panel";
    panel.id = "pop-" + Math.random().toString(36).slice(2);
    panel.setAttribute("role", "group");
    panel.setAttribute("aria-label", "Reference " + link.textContent);
    var title = document.createElement("span");
    title.className = "cite-title";
    var refTitle = ref && ref.querySelector(".ref-title");
    title.textContent = "[" + link.textContent + "] " + (refTitle ? refTitle.textContent : "");
    panel.appendChild(title);
    var quotes = ref ? ref.querySelectorAll("blockquote") : [];
    if (!quotes.length) {
      var none = document.createElement("span");
      none.className = "cite-quote";
      none.textContent = "No quoted passage is kept for this source.";
      panel.appendChild(none);
    }
    Array.prototype.forEach.call(quotes, function (q) {
      var quote = document.createElement("q");
      quote.className = "cite-quote";
      quote.textContent = q.textContent;  // textContent: document text never reaches innerHTML
      panel.appendChild(quote);
    });
    var more = document.createElement("a");
    more.href = "#" + link.getAttribute("data-ref");
    more.textContent = "Reference " + link.textContent + " in the list";
    panel.appendChild(more);
    var close = document.createElement("button");
    close.type = "button";
    close.className = "link cite-close";
    close.textContent = "Close";
    close.addEventListener("click", function () { toggleCitation(link); link.focus(); });
    panel.appendChild(close);
    return panel;
  }

  function toggleCitation(link) {
    var open = link.getAttribute("aria-expanded") === "true";
    var panel = document.getElementById(link.getAttribute("aria-controls") || "");
    if (open) {
      if (panel) panel.remove();
      link.setAttribute("aria-expanded", "false");
      link.removeAttribute("aria-controls");
      return;
    }
    panel = citationPanel(link);
    link.parentNode.insertAdjacentElement("afterend", panel);
    link.setAttribute("aria-controls", panel.id);
    link.setAttribute("aria-expanded", "true");
  }

  function upgradeCitations(root) {
    root.querySelectorAll("a.cite-link:not([role])").forEach(function (link) {
      link.setAttribute("role", "button");
      link.setAttribute("aria-expanded", "false");
    });
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a.cite-link[role=button]");
    if (!link) return;
    event.preventDefault();
    toggleCitation(link);
  });
  document.addEventListener("keydown", function (event) {
    var link = event.target.closest && event.target.closest("a.cite-link[role=button]");
    if (!link || (event.key !== " " && event.key !== "Spacebar")) return;
    event.preventDefault();  // Space presses a button; it must not scroll the page
    toggleCitation(link);
  });
  upgradeCitations(document);

  // A problem with what was typed is said next to the box, and the box keeps its text and the focus.
  function formProblem(form, message) {
    var box = form.elements.q;
    var note = form.querySelector(".form-error");
    if (!message) {
      if (note) note.remove();
      if (box) box.removeAttribute("aria-invalid");
      return;
    }
    if (!note) {
      note = document.createElement("p");
      note.className = "banner error form-error";
      note.id = (form.id || "form") + "-problem";
      note.setAttribute("role", "alert");
      if (box) box.insertAdjacentElement("beforebegin", note); else form.prepend(note);
    }
    note.textContent = message;
    if (box) {
      box.setAttribute("aria-invalid", "true");
      box.setAttribute("aria-describedby", note.id);
      box.focus();
    }
  }

  function valueOf(form, name) {
    var el = form.elements[name];
    if (!el) return "";
    if (el instanceof RadioNodeList) return el.value || "";
    return el.value || "";
  }

  // Forms marked data-stream are answered through Server-Sent Events, one section at a time.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-stream") || !window.EventSource) return;
    var question = valueOf(form, "q").replace(/\s+/g, " ").trim();
    if (!question) {
      event.preventDefault();
      formProblem(form, "Please type a question first.");
      return;
    }
    var box = form.elements["q"];
    var limit = box && box.maxLength > 0 ? box.maxLength : Infinity;  // the server renders its own limit here
    if (question.length > limit) {
      event.preventDefault();
      formProblem(form, "The question is " + question.length.toLocaleString("en") + " characters long; the limit is " +
        limit.toLocaleString("en") + ". Ask one focused clinical question.");
      return;
    }
    formProblem(form, "");
    event.preventDefault();
    var target = document.querySelector(form.getAttribute("data-target") || "#answer-live");
    var status = document.getElementById("status");
    var params = new URLSearchParams({ q: question, audience: valueOf(form, "audience") || "clinician" });
    var thread = valueOf(form, "thread");
    if (thread) params.set("thread", thread);
    if (form.getAttribute("data-article") && !thread) params.set("article", form.getAttribute("data-article"));
    var button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    // A follow-up adds a turn under the earlier ones: the conversation stays on the page.
    if (!thread && !form.classList.contains("followup")) target.innerHTML = "";
    var turn = document.createElement("div");
    turn.className = "turn-live";
    target.appendChild(turn);
    target.setAttribute("aria-busy", "true");
    if (status) status.textContent = "Searching the evidence…";
    var source = new EventSource("/ask/stream?" + params.toString());
    var finished = false;

    function finish(message) {
      finished = true;
      source.close();
      target.removeAttribute("aria-busy");
      if (button) button.disabled = false;
      // The live region keeps its last words (never emptied): "Answer ready" is what a screen reader hears.
      if (status && message) status.textContent = message;
    }
    source.addEventListener("status", function (e) {
      if (status) status.textContent = JSON.parse(e.data).text;
    });
    // Reading order: the bottom line arrives first, then the sections as the page shows them.
    source.addEventListener("summary", function (e) {
      turn.insertAdjacentHTML("beforeend", JSON.parse(e.data).html);
    });
    source.addEventListener("section", function (e) {
      turn.insertAdjacentHTML("beforeend", JSON.parse(e.data).html);
    });
    source.addEventListener("answer", function (e) {
      var data = JSON.parse(e.data);
      var holder = document.createElement("div");
      holder.innerHTML = data.html;
      var block = holder.firstElementChild;
      turn.replaceWith(block);
      upgradeCitations(block);
      if (data.thread_id) {
        document.querySelectorAll("form.followup input[name=thread]").forEach(function (h) { h.value = data.thread_id; });
        var followup = document.getElementById("followup");
        if (followup) followup.hidden = false;
        // The conversation has its own address: reload, Back and sharing with oneself keep it.
        var url = "/threads/" + encodeURIComponent(data.thread_id);
        if (!form.hasAttribute("data-article") && location.pathname !== url) {
          history.pushState({ thread: data.thread_id }, "", url);
          shownPath = url;
        }
      }
      finish(data.abstained ? "No answer: the sources do not cover this question." :
        "Answer ready: " + question);
      if (form.classList.contains("followup") && form.elements.q) form.elements.q.value = "";
      // Keyboard and screen-reader users continue from the new answer's heading, not from <body>.
      var heading = document.getElementById(data.heading);
      if (heading) heading.focus();
    });
    source.addEventListener("problem", function (e) {
      var p = document.createElement("p");
      p.className = "banner error";
      p.setAttribute("role", "alert");
      p.textContent = JSON.parse(e.data).error;  // textContent: the message may quote the question
      turn.appendChild(p);
      finish("");
    });
    source.addEventListener("done", function () { if (!finished) finish(""); });
    source.onerror = function () {
      // EventSource would reconnect and ask again; a dropped stream is reported instead.
      if (!finished) finish("The connection was lost before the answer was complete. Please ask again.");
    };
  });

  // Back and Forward between the ask page and a conversation show what the address says: the page is
  // loaded again when it shows another address than the one it was left at.
  var shownPath = location.pathname;
  window.addEventListener("popstate", function () {
    if (location.pathname !== shownPath) location.reload();
  });

  // Printed pages carry the quoted passages, which on screen sit behind "Quoted passage" toggles.
  var closedForPrint = [];
  window.addEventListener("beforeprint", function () {
    closedForPrint = Array.prototype.filter.call(document.querySelectorAll("details.quote"), function (d) {
      return !d.open;
    });
    closedForPrint.forEach(function (d) { d.open = true; });
  });
  window.addEventListener("afterprint", function () {
    closedForPrint.forEach(function (d) { d.open = false; });
    closedForPrint = [];
  });

  // Back from choosing a reader on an article: keep the keyboard where it was.
  // After load: the browser's own jump to #personalize would otherwise take the focus back.
  window.addEventListener("load", function () {
    if (location.hash !== "#personalize") return;
    var chosen = document.querySelector("#personalize input[name=audience]:checked");
    if (chosen) chosen.focus({ preventScroll: true });
  });
})();
