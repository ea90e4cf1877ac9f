// The CI pipeline templates `conveyor init --ci` writes. They are
// examples/digits/.gitlab-ci.yml and examples/digits/.github/workflows/conveyor.yml
// byte for byte (tests/e2e/ci_pipeline_test.cc checks it): edit the example,
// then paste it here.
#include "cli/ci_templates.h"

namespace conveyor::cli {

namespace {

constexpr std::string_view kGitLab =
    R"conveyor(# GitLab CI for a conveyor project, written by `conveyor init --ci gitlab`
# (docs/ci.md, "Pipeline templates"). The paper's scheme:
#
#   merge requests:  lint -> pipeline -> report
#   default branch:  lint -> pipeline -> integration (publish, build-image) -> deploy
#
# How jobs get conveyor: every job except `build-image` and deploy runs in $CONVEYOR_IMAGE, an
# image with conveyor and the pipeline's stage programs on PATH (build it
# FROM the `runtime` target of conveyor's deploy/Dockerfile and add your
# tools). A shell runner ignores `image:`; there conveyor must be on PATH.
#
# Variables (Settings > CI/CD > Variables overrides the defaults below):
#   CONVEYOR_IMAGE         the image the conveyor jobs run in
#   CONVEYOR_REMOTE        remote for pull/push; empty: core.remote of .dvc/config
#   CONVEYOR_REMOTE_URL    if set, added as a local remote `ci` and used instead
#   CONVEYOR_GITLAB_TOKEN  (masked, set it in the UI) project access token with
#                          scope `api`, role Reporter or above: the report's note
#   CONVEYOR_BUILD_IMAGE   "true": build and push the service image on the
#                          default branch; anything else skips the `build-image` job
#   CONVEYOR_DEPLOY        "kubernetes": kubectl apply -k $CONVEYOR_KUSTOMIZE_DIR
#                          with the new image; "replace": POST
#                          $SERVE_URL/replace_ml_model?tag=$CONVEYOR_MODEL_TAG on a
#                          running `conveyor serve`; empty (default): no deploy
#   SERVE_URL, CONVEYOR_MODEL_TAG, KUBE_CONTEXT, KUBE_NAMESPACE: for deploy
# Docker-in-Docker is not needed: the image is built with kaniko.

stages: [lint, pipeline, report, integration, deploy]

workflow:
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
    # A branch with an open merge request runs the merge request pipeline only.
    - if: $CI_COMMIT_BRANCH && $CI_OPEN_MERGE_REQUESTS
      when: never
    - if: $CI_COMMIT_BRANCH

variables:
  CONVEYOR_IMAGE: $CI_REGISTRY_IMAGE/conveyor-ci:latest
  CONVEYOR_REMOTE: ""
  CONVEYOR_REMOTE_URL: ""
  CONVEYOR_BUILD_IMAGE: "true"
  CONVEYOR_DEPLOY: ""
  CONVEYOR_MODEL_TAG: production
  CONVEYOR_SERVICE_IMAGE: $CI_REGISTRY_IMAGE
  CONVEYOR_DOCKERFILE: deploy/Dockerfile
  CONVEYOR_DOCKER_TARGET: runtime
  CONVEYOR_KUSTOMIZE_DIR: deploy/kubernetes
  KUBE_NAMESPACE: default
  # The report compares with the target branch: it needs the history.
  GIT_DEPTH: "0"

# Jobs that run conveyor. `conveyor pull` and `push` use the remote as the
# cache every runner shares; .dvc/cache is also kept in GitLab's cache, per
# branch, falling back to the default branch's.
.conveyor:
  image: $CONVEYOR_IMAGE
  cache:
    - key: conveyor-$CI_COMMIT_REF_SLUG
      fallback_keys: [conveyor-$CI_DEFAULT_BRANCH]
      paths: [.dvc/cache/]
  before_script:
    - &conveyor_setup |
      conveyor --version
      if [ -n "$CONVEYOR_REMOTE_URL" ]; then
        conveyor remote add --local -f -d ci "$CONVEYOR_REMOTE_URL"
        CONVEYOR_REMOTE=ci
      fi
      REMOTE_FLAG=${CONVEYOR_REMOTE:+--remote=$CONVEYOR_REMOTE}

# Lint: the pipeline definition must load (dvc.yaml, params, conveyor.yaml:
# `conveyor dag` parses it and rejects cycles and unknown stages) and
# `conveyor status` must be able to compare it with dvc.lock. Add your own
# linters (ruff, clang-format --dry-run -Werror, ...) to the script.
lint:
  extends: .conveyor
  stage: lint
  cache: []
  script:
    - conveyor dag
    - conveyor status

# Pipeline: reproduce with the remote as shared cache: pull what another
# runner already made, rerun only the stages that changed, push the results.
# The changes the run made to files Git tracks (dvc.lock, metrics, plots)
# travel to the later jobs as conveyor_workspace.patch.
pipeline:
  extends: .conveyor
  stage: pipeline
  needs: [lint]
  script:
    - conveyor pull $REMOTE_FLAG || echo "conveyor pull failed (a first run has nothing to pull); reproducing"
    - conveyor repro
    - conveyor push $REMOTE_FLAG
    - git add -A -- . ':(exclude).gitlab-ci-local' ':(exclude)conveyor_workspace.patch'
    - git diff --cached --binary HEAD > conveyor_workspace.patch
    - git reset -q
  artifacts:
    paths: [conveyor_workspace.patch]
    expire_in: 1 week

# Applies the pipeline job's changes (already there when the jobs share one
# directory) and checks out its outputs from the remote.
.with_pipeline_results:
  extends: .conveyor
  needs: [pipeline]
  cache:
    - key: conveyor-$CI_COMMIT_REF_SLUG
      fallback_keys: [conveyor-$CI_DEFAULT_BRANCH]
      paths: [.dvc/cache/]
      policy: pull
  before_script:
    - *conveyor_setup
    - git apply --binary --reverse --check conveyor_workspace.patch 2>/dev/null || git apply --binary conveyor_workspace.patch
    - conveyor pull $REMOTE_FLAG

# Report: metrics, params and plots against the target branch, posted as
# conveyor's note on the merge request and edited in place on each push.
report:
  extends: .with_pipeline_results
  stage: report
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
  script:
    - git fetch origin "$CI_MERGE_REQUEST_TARGET_BRANCH_NAME" || echo "could not fetch the target branch; using the local one"
    - conveyor report --post --update
  artifacts:
    when: always
    paths: [conveyor_report/]
    expire_in: 1 month

# Integration, default branch only: the outputs and the registry (experiments,
# model versions, aliases) on the remote, for servers and later runs.
publish:
  extends: .with_pipeline_results
  stage: integration
  rules:
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH && $CI_PIPELINE_SOURCE != "merge_request_event"
  script:
    - conveyor push $REMOTE_FLAG
    - conveyor model list

# Integration, default branch only: the service image from
# $CONVEYOR_DOCKERFILE, built by kaniko (no Docker daemon, no privileged
# runner) and pushed to the project's container registry.
build-image:
  stage: integration
  needs: [pipeline]
  rules:
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH && $CI_PIPELINE_SOURCE != "merge_request_event" && $CONVEYOR_BUILD_IMAGE == "true"
  image:
    name: gcr.io/kaniko-project/executor:v1.23.2-debug
    entrypoint: [""]
  script:
    - mkdir -p /kaniko/.docker
    - >-
      printf '{"auths":{"%s":{"auth":"%s"}}}' "$CI_REGISTRY"
      "$(printf '%s:%s' "$CI_REGISTRY_USER" "$CI_REGISTRY_PASSWORD" | base64 | tr -d '\n')"
      > /kaniko/.docker/config.json
    - >-
      /kaniko/executor --context "$CI_PROJECT_DIR"
      --dockerfile "$CI_PROJECT_DIR/$CONVEYOR_DOCKERFILE" --target "$CONVEYOR_DOCKER_TARGET"
      --destination "$CONVEYOR_SERVICE_IMAGE:$CI_COMMIT_SHORT_SHA"
      --destination "$CONVEYOR_SERVICE_IMAGE:latest"

# Deploy, default branch only, one of two ways ($CONVEYOR_DEPLOY).
deploy-kubernetes:
  stage: deploy
  needs:
    - publish
    - job: build-image
      optional: true  # CONVEYOR_BUILD_IMAGE may skip it
  rules:
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH && $CI_PIPELINE_SOURCE != "merge_request_event" && $CONVEYOR_DEPLOY == "kubernetes"
  image:
    name: bitnami/kubectl:1.30
    entrypoint: [""]
  environment:
    name: production
  script:
    - if [ -n "$KUBE_CONTEXT" ]; then kubectl config use-context "$KUBE_CONTEXT"; fi
    # An overlay of the base with this commit's image.
    - mkdir -p .conveyor-deploy
    - >-
      printf 'resources:\n  - ../%s\nimages:\n  - name: conveyor\n    newName: %s\n    newTag: "%s"\n'
      "$CONVEYOR_KUSTOMIZE_DIR" "$CONVEYOR_SERVICE_IMAGE" "$CI_COMMIT_SHORT_SHA"
      > .conveyor-deploy/kustomization.yaml
    - kubectl apply -n "$KUBE_NAMESPACE" -k .conveyor-deploy
    - kubectl rollout status -n "$KUBE_NAMESPACE" deployment/conveyor --timeout=10m

deploy-replace:
  stage: deploy
  needs: [publish]
  rules:
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH && $CI_PIPELINE_SOURCE != "merge_request_event" && $CONVEYOR_DEPLOY == "replace"
  image: curlimages/curl:8.10.1
  environment:
    name: production
    url: $SERVE_URL
  script:
    - curl --fail-with-body -sS -X POST "$SERVE_URL/replace_ml_model?tag=$CONVEYOR_MODEL_TAG"
)conveyor";

constexpr std::string_view kGitHub =
    R"conveyor(# GitHub Actions for a conveyor project, written by `conveyor init --ci github`
# (docs/ci.md, "Pipeline templates"). The paper's scheme:
#
#   pull requests:  lint -> pipeline -> report
#   push to main:   lint -> pipeline -> publish, image -> deploy
#
# How jobs get conveyor: the conveyor jobs run in the container
# vars.CONVEYOR_IMAGE, an image with conveyor and the pipeline's stage
# programs on PATH (build it FROM the `runtime` target of conveyor's
# deploy/Dockerfile and add your tools). Leave CONVEYOR_IMAGE unset to run on
# the runner itself (a self-hosted runner with conveyor on PATH).
#
# Settings > Secrets and variables > Actions:
#   vars.CONVEYOR_IMAGE        the image the conveyor jobs run in (optional)
#   vars.CONVEYOR_REMOTE       remote for pull/push; empty: core.remote of .dvc/config
#   secrets.CONVEYOR_REMOTE_URL  if set, added as a local remote `ci` and used
#   vars.CONVEYOR_BUILD_IMAGE  "false" skips the image build on main
#   vars.CONVEYOR_DEPLOY       "kubernetes": kubectl apply -k deploy/kubernetes
#                              with the new image (secrets.KUBECONFIG);
#                              "replace": POST $SERVE_URL/replace_ml_model?tag=
#                              vars.CONVEYOR_MODEL_TAG (default production) on a
#                              running `conveyor serve`; unset: no deploy
#   vars.SERVE_URL, vars.KUBE_NAMESPACE: for deploy
# The report is posted with the workflow's GITHUB_TOKEN (permissions below).
# Storage credentials (AWS_ACCESS_KEY_ID, ...) go in secrets and in `env:`.
name: conveyor

on:
  pull_request:
  push:
    branches: [main]

permissions:
  contents: write       # report images on the conveyor-reports branch
  pull-requests: write  # the report comment
  packages: write       # the service image on ghcr.io

concurrency:
  group: conveyor-${{ github.ref }}
  cancel-in-progress: true

env:
  CONVEYOR_REMOTE: ${{ vars.CONVEYOR_REMOTE }}
  CONVEYOR_REMOTE_URL: ${{ secrets.CONVEYOR_REMOTE_URL }}
  SERVICE_IMAGE: ghcr.io/${{ github.repository }}

jobs:
  # Lint: the pipeline definition must load (`conveyor dag` parses dvc.yaml,
  # params and conveyor.yaml and rejects cycles) and `conveyor status` must
  # compare it with dvc.lock. Add your own linters as steps.
  lint:
    runs-on: ubuntu-latest
    container: ${{ vars.CONVEYOR_IMAGE }}
    steps:
      - uses: actions/checkout@v4
      - run: conveyor --version && conveyor dag && conveyor status

  # Pipeline: reproduce with the remote as shared cache (pull before, push
  # after); the changes to files Git tracks travel to later jobs as a patch.
  pipeline:
    needs: lint
    runs-on: ubuntu-latest
    container: ${{ vars.CONVEYOR_IMAGE }}
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - uses: actions/cache@v4
        with:
          path: .dvc/cache
          key: conveyor-${{ github.ref_name }}-${{ hashFiles('dvc.lock', 'params.yaml') }}
          restore-keys: |
            conveyor-${{ github.ref_name }}-
            conveyor-main-
      - name: Remote
        run: |
          if [ -n "$CONVEYOR_REMOTE_URL" ]; then
            conveyor remote add --local -f -d ci "$CONVEYOR_REMOTE_URL"
            echo "CONVEYOR_REMOTE=ci" >> "$GITHUB_ENV"
          fi
      - run: conveyor pull ${CONVEYOR_REMOTE:+--remote=$CONVEYOR_REMOTE} || echo "conveyor pull failed (a first run has nothing to pull); reproducing"
      - run: conveyor repro
      - run: conveyor push ${CONVEYOR_REMOTE:+--remote=$CONVEYOR_REMOTE}
      - run: git add -A && git diff --cached --binary HEAD > conveyor_workspace.patch && git reset -q
      - uses: actions/upload-artifact@v4
        with:
          name: conveyor-workspace
          path: conveyor_workspace.patch

  # Report: metrics, params and plots against the base branch, posted as
  # conveyor's comment on the pull request and edited in place on each push.
  report:
    if: github.event_name == 'pull_request'
    needs: pipeline
    runs-on: ubuntu-latest
    container: ${{ vars.CONVEYOR_IMAGE }}
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - uses: actions/download-artifact@v4
        with:
          name: conveyor-workspace
      - name: Remote
        run: |
          if [ -n "$CONVEYOR_REMOTE_URL" ]; then
            conveyor remote add --local -f -d ci "$CONVEYOR_REMOTE_URL"
            echo "CONVEYOR_REMOTE=ci" >> "$GITHUB_ENV"
          fi
      - run: git apply --binary conveyor_workspace.patch && rm conveyor_workspace.patch
      - run: conveyor pull ${CONVEYOR_REMOTE:+--remote=$CONVEYOR_REMOTE}
      - run: conveyor report --post --update
        env:
          GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}
      - uses: actions/upload-artifact@v4
        if: always()
        with:
          name: conveyor-report
          path: conveyor_report/

  # Integration, main only: the outputs and the registry on the remote.
  publish:
    if: github.event_name == 'push' && github.ref == 'refs/heads/main'
    needs: pipeline
    runs-on: ubuntu-latest
    container: ${{ vars.CONVEYOR_IMAGE }}
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - uses: actions/download-artifact@v4
        with:
          name: conveyor-workspace
      - name: Remote
        run: |
          if [ -n "$CONVEYOR_REMOTE_URL" ]; then
            conveyor remote add --local -f -d ci "$CONVEYOR_REMOTE_URL"
            echo "CONVEYOR_REMOTE=ci" >> "$GITHUB_ENV"
          fi
      - run: git apply --binary conveyor_workspace.patch && rm conveyor_workspace.patch
      - run: conveyor pull ${CONVEYOR_REMOTE:+--remote=$CONVEYOR_REMOTE}
      - run: conveyor push ${CONVEYOR_REMOTE:+--remote=$CONVEYOR_REMOTE} && conveyor model list

  # Integration, main only: the service image from deploy/Dockerfile, pushed
  # to ghcr.io. Runs on the runner (build-push-action needs its Docker).
  image:
    if: github.event_name == 'push' && github.ref == 'refs/heads/main' && vars.CONVEYOR_BUILD_IMAGE != 'false'
    needs: pipeline
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: docker/setup-buildx-action@v3
      - uses: docker/login-action@v3
        with:
          registry: ghcr.io
          username: ${{ github.actor }}
          password: ${{ secrets.GITHUB_TOKEN }}
      - uses: docker/build-push-action@v6
        with:
          context: .
          file: deploy/Dockerfile
          target: runtime
          push: true
          tags: |
            ${{ env.SERVICE_IMAGE }}:${{ github.sha }}
            ${{ env.SERVICE_IMAGE }}:latest

  # Deploy, main only, one of two ways (vars.CONVEYOR_DEPLOY).
  deploy-kubernetes:
    # Runs when the image job was skipped by CONVEYOR_BUILD_IMAGE, not when it failed.
    if: ${{ !cancelled() && github.event_name == 'push' && github.ref == 'refs/heads/main' && vars.CONVEYOR_DEPLOY == 'kubernetes' && needs.publish.result == 'success' && needs.image.result != 'failure' }}
    needs: [publish, image]
    runs-on: ubuntu-latest
    environment: production
    steps:
      - uses: actions/checkout@v4
      - name: Apply deploy/kubernetes with this commit's image
        env:
          KUBECONFIG_DATA: ${{ secrets.KUBECONFIG }}
          KUBE_NAMESPACE: ${{ vars.KUBE_NAMESPACE || 'default' }}
        run: |
          mkdir -p "$HOME/.kube" .conveyor-deploy
          printf '%s' "$KUBECONFIG_DATA" > "$HOME/.kube/config"
          printf 'resources:\n  - ../deploy/kubernetes\nimages:\n  - name: conveyor\n    newName: %s\n    newTag: "%s"\n' \
            "$SERVICE_IMAGE" "$GITHUB_SHA" > .conveyor-deploy/kustomization.yaml
          kubectl apply -n "$KUBE_NAMESPACE" -k .conveyor-deploy
          kubectl rollout status -n "$KUBE_NAMESPACE" deployment/conveyor --timeout=10m

  deploy-replace:
    if: github.event_name == 'push' && github.ref == 'refs/heads/main' && vars.CONVEYOR_DEPLOY == 'replace'
    needs: publish
    runs-on: ubuntu-latest
    environment: production
    steps:
      - run: curl --fail-with-body -sS -X POST "$SERVE_URL/replace_ml_model?tag=$MODEL_TAG"
        env:
          SERVE_URL: ${{ vars.SERVE_URL }}
          MODEL_TAG: ${{ vars.CONVEYOR_MODEL_TAG || 'production' }}
)conveyor";

}  // namespace

std::optional<CiTemplate> FindCiTemplate(std::string_view system) {
  if (system == "gitlab")
    return CiTemplate{".gitlab-ci.yml", kGitLab};
  if (system == "github")
    return CiTemplate{".github/workflows/conveyor.yml", kGitHub};
  return std::nullopt;
}

}  // namespace conveyor::cli
