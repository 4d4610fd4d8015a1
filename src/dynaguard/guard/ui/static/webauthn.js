// Passkey ceremonies for the sign-in pages: the only script they use, served from our own
// origin under the page's nonce. A form marked data-webauthn="create" or "get" carries the
// server's options; on submit the browser's WebAuthn API is called, its answer is put in the
// form's "credential" field as JSON, and the form is posted as any other.
(function () {
  "use strict";

  function fromB64url(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) { b64 += "="; }
    var raw = atob(b64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    return bytes.buffer;
  }

  function toB64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var raw = "";
    for (var i = 0; i < bytes.length; i++) { raw += String.fromCharCode(bytes[i]); }
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (d) {
      return { type: d.type, id: fromB64url(d.id), transports: d.transports };
    });
  }

  function creationOptions(o) {
    var options = Object.assign({}, o);
    options.challenge = fromB64url(o.challenge);
    options.user = Object.assign({}, o.user, { id: fromB64url(o.user.id) });
    options.excludeCredentials = descriptors(o.excludeCredentials);
    return options;
  }

  function requestOptions(o) {
    var options = Object.assign({}, o);
    options.challenge = fromB64url(o.challenge);
    options.allowCredentials = descriptors(o.allowCredentials);
    return options;
  }

  function asJSON(credential) {
    var r = credential.response;
    var response = { clientDataJSON: toB64url(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toB64url(r.attestationObject);
      response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      response.authenticatorData = toB64url(r.authenticatorData);
      response.signature = toB64url(r.signature);
      if (r.userHandle) { response.userHandle = toB64url(r.userHandle); }
    }
    var body = { id: credential.id, rawId: toB64url(credential.rawId), type: credential.type,
                 response: response };
    if (credential.authenticatorAttachment) {
      body.authenticatorAttachment = credential.authenticatorAttachment;
    }
    return JSON.stringify(body);
  }

  function showError(message) {
    var box = document.getElementById("passkey-error");
    if (!box) { return; }
    box.textContent = message;
    box.hidden = false;
    box.setAttribute("tabindex", "-1");
    box.focus();
  }

  function ceremony(form, event) {
    event.preventDefault();
    if (!window.PublicKeyCredential || !navigator.credentials) {
      showError("This browser cannot use passkeys.");
      return;
    }
    var kind = form.getAttribute("data-webauthn");
    var options = JSON.parse(form.getAttribute("data-options"));
    var button = form.querySelector("button[type=submit]");
    if (button) { button.disabled = true; }
    var pending = kind === "create"
      ? navigator.credentials.create({ publicKey: creationOptions(options) })
      : navigator.credentials.get({ publicKey: requestOptions(options) });
    pending.then(function (credential) {
      form.querySelector("input[name=credential]").value = asJSON(credential);
      form.submit();
    }, function (error) {
      if (button) { button.disabled = false; }
      showError(error && error.name === "NotAllowedError"
        ? "The passkey request was cancelled or timed out. Try again."
        : "The passkey could not be used: " + (error && error.message ? error.message : error));
    });
  }

  var forms = document.querySelectorAll("form[data-webauthn]");
  for (var i = 0; i < forms.length; i++) {
    forms[i].addEventListener("submit", ceremony.bind(null, forms[i]));
  }
})();
