// Submits a form marked data-autosubmit as soon as the page loads (the logout's POST to the
// portal); a file of our own origin, as the pages' Content-Security-Policy allows no inline script.
document.querySelectorAll("form[data-autosubmit]").forEach(function (form) { form.submit(); });
