document.title += " (" + new Date().getFullYear() + ")";
