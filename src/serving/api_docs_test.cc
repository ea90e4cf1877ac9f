// The /openapi.json, /docs and /docs/{asset} handlers through a Router,
// with stand-in assets; and the real Swagger UI files built into the binary.
#include "serving/api_docs.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <set>

namespace conveyor::serving {
namespace {

HttpRequest Get(std::string path, std::string if_none_match = "") {
  HttpRequest request;
  request.method = "GET";
  request.path = std::move(path);
  if (!if_none_match.empty())
    request.headers["if-none-match"] = std::move(if_none_match);
  return request;
}

std::string HeaderOf(const HttpResponse& response, std::string_view name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name)
      return value;
  }
  return "";
}

class ApiDocsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(AddApiDocsRoutes(router_, R"({"openapi":"3.0.3"})", assets_).ok());
  }

  HttpResponse Answer(HttpRequest request) {
    RouteMatch match = router_.Route(request);
    return match.handler == nullptr ? match.error : (*match.handler)(request);
  }

  const DocsAsset assets_[3] = {{"swagger-ui-bundle.js", "window.SwaggerUIBundle = 1;"},
                                {"swagger-ui.css", "body {}"},
                                {"favicon-16x16.png", "\x89PNG"}};
  Router router_;
};

TEST_F(ApiDocsTest, ServesTheDocumentThePageAndTheAssets) {
  HttpResponse spec = Answer(Get("/openapi.json"));
  EXPECT_EQ(spec.status, 200);
  EXPECT_EQ(spec.content_type, "application/json");
  EXPECT_EQ(spec.body, R"({"openapi":"3.0.3"})");
  EXPECT_EQ(HeaderOf(spec, "Cache-Control"), "no-cache");

  HttpResponse page = Answer(Get("/docs"));
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(page.body, DocsPage());

  HttpResponse script = Answer(Get("/docs/swagger-ui-bundle.js"));
  EXPECT_EQ(script.status, 200);
  EXPECT_EQ(script.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(script.body, "window.SwaggerUIBundle = 1;");
  EXPECT_EQ(HeaderOf(script, "Cache-Control"), "public, max-age=86400");
  EXPECT_EQ(Answer(Get("/docs/favicon-16x16.png")).content_type, "image/png");

  HttpResponse missing = Answer(Get("/docs/index.js"));
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(nlohmann::json::parse(missing.body)["error"]["message"],
            "no documentation file 'index.js' (try /docs)");
}

TEST_F(ApiDocsTest, AMatchingETagAnswers304) {
  HttpResponse first = Answer(Get("/docs/swagger-ui.css"));
  std::string etag = HeaderOf(first, "ETag");
  ASSERT_TRUE(std::regex_match(etag, std::regex("\"[0-9a-f]{16}\""))) << etag;
  EXPECT_NE(etag, HeaderOf(Answer(Get("/docs/swagger-ui-bundle.js")), "ETag"));

  HttpResponse again = Answer(Get("/docs/swagger-ui.css", etag));
  EXPECT_EQ(again.status, 304);
  EXPECT_EQ(again.body, "");
  EXPECT_EQ(HeaderOf(again, "ETag"), etag);
  EXPECT_EQ(Answer(Get("/docs/swagger-ui.css", "\"other\", W/" + etag)).status, 304);
  EXPECT_EQ(Answer(Get("/docs/swagger-ui.css", "*")).status, 304);
  EXPECT_EQ(Answer(Get("/docs/swagger-ui.css", "\"other\"")).status, 200);
  EXPECT_EQ(Answer(Get("/openapi.json", HeaderOf(Answer(Get("/openapi.json")), "ETag"))).status,
            304);
}

TEST(ApiDocsRoutesTest, RefusesAssetsWithoutTheBundle) {
  Router router;
  const DocsAsset css[] = {{"swagger-ui.css", "body {}"}};
  Status status = AddApiDocsRoutes(router, "{}", css);
  EXPECT_EQ(status.code(), Code::kInvalid);
  EXPECT_EQ(status.message(),
            "API docs: the Swagger UI assets lack swagger-ui-bundle.js (is "
            "web/node_modules/swagger-ui-dist installed? run `npm ci --prefix web` and rebuild)");
  EXPECT_EQ(router.size(), 0u);
}

TEST(ApiDocsRoutesTest, ContentTypesByExtension) {
  EXPECT_EQ(AssetContentType("a.css"), "text/css; charset=utf-8");
  EXPECT_EQ(AssetContentType("a.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(AssetContentType("LICENSE"), "text/plain; charset=utf-8");
  EXPECT_EQ(AssetContentType("a.wasm"), "application/octet-stream");
}

// The files built into this binary: every one the page links to is there,
// and they are the real ones.
TEST(ApiDocsRoutesTest, TheBuiltInAssetsHoldWhatThePageLoads) {
  std::set<std::string> names;
  for (const DocsAsset& asset : SwaggerUiAssets()) {
    names.insert(std::string(asset.name));
    EXPECT_FALSE(asset.bytes.empty()) << asset.name;
  }
  std::string page(DocsPage());
  std::regex link(R"re((?:href|src)="docs/([^"]+)")re");
  int links = 0;
  for (auto it = std::sregex_iterator(page.begin(), page.end(), link); it != std::sregex_iterator();
       ++it, ++links) {
    EXPECT_TRUE(names.count((*it)[1])) << (*it)[1] << " is linked but not built in";
  }
  EXPECT_EQ(links, 4);
  EXPECT_NE(page.find(R"(url: "openapi.json")"), std::string::npos);
  for (const DocsAsset& asset : SwaggerUiAssets()) {
    if (asset.name == "swagger-ui-bundle.js") {
      EXPECT_GT(asset.bytes.size(), 500'000u);
      EXPECT_NE(asset.bytes.find("SwaggerUIBundle"), std::string_view::npos);
    }
    if (asset.name == "LICENSE") {
      EXPECT_NE(asset.bytes.find("Apache License"), std::string_view::npos);
    }
  }
  EXPECT_TRUE(std::regex_match(std::string(SwaggerUiVersion()), std::regex(R"(\d+\.\d+\.\d+)")));
}

}  // namespace
}  // namespace conveyor::serving
