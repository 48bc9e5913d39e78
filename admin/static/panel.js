// The panel's only script besides htmx, kept in a file so the Content-Security-Policy can
// forbid inline scripts: a form marked data-reset-after empties itself once htmx has sent it.
document.addEventListener("htmx:afterRequest", function (event) {
  var form = event.detail.elt;
  if (event.detail.successful && form.matches && form.matches("form[data-reset-after]")) {
    form.reset();
  }
});
