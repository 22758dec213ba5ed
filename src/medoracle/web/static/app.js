// medoracle: progressive enhancement only. Every form works without this file.
// HTML inserted here comes from the server's autoescaped templates; document text never reaches innerHTML raw.
(function () {
  "use strict";

  function setAudienceCookie(value) {
    document.cookie = "audience=" + encodeURIComponent(value) + "; path=/; max-age=31536000; SameSite=Lax";
  }

  // "Which best describes you?": remember the choice; on an article page, show the article for that reader.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("fieldset[data-remember] input[name=audience]")) return;
    setAudienceCookie(input.value);
    var form = input.form;
    if (form && form.hasAttribute("data-autosubmit")) form.submit();
    document.querySelectorAll("form.followup input[type=hidden][name=audience]").forEach(function (h) {
      h.value = input.value;
    });
  });

  // Suggested follow-up questions fill the box and ask.
  document.addEventListener("click", function (event) {
    var chip = event.target.closest && event.target.closest("button[data-fill]");
    if (!chip) return;
    var form = chip.closest("form");
    form.elements.q.value = chip.getAttribute("data-fill");
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  });


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
    target.innerHTML = "";
    target.setAttribute("aria-busy", "true");
    if (status) status.textContent = "Searching the evidence…";
    var source = new EventSource("/ask/stream?" + params.toString());
    var finished = false;

    function finish(message) {
      finished = true;
      source.close();
      target.removeAttribute("aria-busy");
      if (button) button.disabled = false;
      if (status) status.textContent = message || "";
    }
    source.addEventListener("status", function (e) {
      if (status) status.textContent = JSON.parse(e.data).text;
    });
    source.addEventListener("section", function (e) {
      target.insertAdjacentHTML("beforeend", JSON.parse(e.data).html);
    });
    source.addEventListener("answer", function (e) {
      var data = JSON.parse(e.data);
      target.innerHTML = data.html;
      // The answer's own follow-up box continues in the same place.
      target.querySelectorAll("form[data-stream]").forEach(function (f) {
        f.setAttribute("data-target", "#" + target.id);
      });
      if (data.thread_id) {
        form.querySelectorAll("input[name=thread]").forEach(function (h) { h.value = data.thread_id; });
      }
      finish(data.abstained ? "No answer: the sources do not cover this question." : "");
      if (form.classList.contains("followup") && form.elements.q) form.elements.q.value = "";
      target.scrollIntoView({ behavior: "smooth", block: "start" });
    });
    source.addEventListener("problem", function (e) {
      var p = document.createElement("p");
      p.className = "banner error";
      p.setAttribute("role", "alert");
      p.textContent = JSON.parse(e.data).error;  // textContent: the message may quote the question
      target.appendChild(p);
      finish("");
    });
    source.addEventListener("done", function () { if (!finished) finish(""); });
    source.onerror = function () {
      // EventSource would reconnect and ask again; a dropped stream is reported instead.
      if (!finished) finish("The connection was lost before the answer was complete. Please ask again.");
    };
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
