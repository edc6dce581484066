# Baton's container image: the native executable on a minimal base, non-root, Baton as PID 1.
#
#   docker build -t baton:0.1.0 .
#   docker run --rm -p 8080:8080 -v "$PWD/baton.json:/etc/baton/baton.json:ro" baton:0.1.0
#
# Baton runs as PID 1 (exec-form ENTRYPOINT, no shell): it starts in supervisor mode, owns the
# listening sockets, and runs the proxy in a worker under it, so an upgrade (SIGQUIT,
# `baton upgrade`) or a crashed worker never closes them. SIGTERM is the graceful stop:
# readiness 503 for ShutdownGracePeriod, then the drain. docs/installation.md explains each line;
# tests/Baton.FunctionalTests/Install/DockerfileTests.cs checks them against deploy/baton.json.

# 1. Build: the .NET SDK with clang, publishing the native executable (eng/publish-native.sh).
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN eng/publish-native.sh --output /out --quiet

# 2. Run: libc, OpenSSL and CA certificates only (no shell, no package manager, no .NET runtime).
FROM mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled AS runtime
COPY --from=build /out/baton /usr/bin/baton
COPY deploy/baton.json /etc/baton/baton.json
# The base image's non-root "app" user (uid and gid 1654).
USER 1654:1654
EXPOSE 8080
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/baton", "run", "--config", "/etc/baton/baton.json", "--log-format", "json"]
