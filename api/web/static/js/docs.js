// The API's documentation page (/docs): Swagger UI, served by this server, on its OpenAPI document.
// A classic script (not a module): Swagger UI's bundle defines window.SwaggerUIBundle before it runs.

(() => {
  const root = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({
    url: root.dataset.openapi,
    domNode: root,
    deepLinking: true,
    validatorUrl: null, // never ask an outside validator about this document
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
})();
