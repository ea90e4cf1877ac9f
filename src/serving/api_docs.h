// The API's own documentation, served by `conveyor serve` itself:
//
//   GET /openapi.json     the OpenAPI document (openapi.h), application/json
//   GET /docs             our HTML page, which runs Swagger UI on /openapi.json
//   GET /docs/{asset}     Swagger UI's script, style sheet, icons and licences
//
// Swagger UI's files come from the npm package swagger-ui-dist, pinned in
// web/package.json, and are built into the binary (src/serving/CMakeLists.txt
// generates the definition of SwaggerUiAssets with the assembler's .incbin),
// so one binary serves /docs with no files beside it and no network.
//
// Every response carries an ETag and answers a matching If-None-Match with
// 304. Swagger UI's files are cacheable for a day; the page and the document
// must be revalidated (they change with the binary and the served model).
//
// Thread safety: the handlers share immutable state and run concurrently.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "common/status.h"
#include "serving/router.h"

namespace conveyor::serving {

// One file of the page, served at /docs/<name>.
struct DocsAsset {
  std::string_view name;   // "swagger-ui-bundle.js"
  std::string_view bytes;  // the content; must outlive the router
};

// The Swagger UI files built into this binary (static storage).
std::span<const DocsAsset> SwaggerUiAssets();
// The swagger-ui-dist version they come from ("5.35.0").
std::string_view SwaggerUiVersion();

// The Content-Type for an asset, from its extension; text/plain for
// extension-less files (LICENSE, NOTICE), application/octet-stream for
// anything unknown.
std::string_view AssetContentType(std::string_view name);

// The /docs page: loads docs/swagger-ui.css and docs/swagger-ui-bundle.js
// and points Swagger UI at openapi.json, all relative to /docs, so the page
// also works behind a proxy that mounts the server under a prefix.
std::string_view DocsPage();

// Registers the three routes. `openapi_json` is the document to serve (it
// is copied). kInvalid when `assets` lacks swagger-ui-bundle.js or
// swagger-ui.css, which the page cannot do without; the router's errors
// otherwise.
Status AddApiDocsRoutes(Router& router, std::string openapi_json,
                        std::span<const DocsAsset> assets = SwaggerUiAssets());

}  // namespace conveyor::serving
