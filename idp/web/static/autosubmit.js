// Submits a form marked data-autosubmit as soon as the page loads (a logout request posted
// again from the portal's own page); a file of our own origin, as the Content-Security-Policy
// allows no inline script.
document.querySelectorAll("form[data-autosubmit]").forEach(function (form) { form.submit(); });
