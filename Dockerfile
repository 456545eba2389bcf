# syntax=docker/dockerfile:1
#
# The camvault server image (docs/deployment.md, "Containers"):
#
#   docker build -t camvault .
#   docker run -d -p 8080:8080 -v camvault:/var/lib/camvault camvault
#
# The runtime image is distroless: no shell, no package manager; it runs
# as the unprivileged user 65532. Everything camvault keeps is under the
# volume /var/lib/camvault: data/ (database, blobs, master.key) and the key
# vault data.keys/ beside it, as with the systemd unit.

FROM rust:1-bookworm AS builder
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY crates ./crates
# The cargo registry and the target directory are BuildKit cache mounts,
# kept from one build to the next; the binary is copied out of the mount,
# which is gone once this step ends.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target,sharing=locked \
    cargo build --release --locked -p camvault \
    && install -D -m 0755 target/release/camvault /out/bin/camvault
# The state directories, made here because the runtime image has no shell.
RUN install -d -m 0700 /out/state/data /out/state/data.keys

# glibc, libgcc_s and libstdc++ (the H.264 decoder is C++): all the binary
# links, and the same Debian release as the builder.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=builder /out/bin/camvault /usr/local/bin/camvault
COPY --from=builder --chown=65532:65532 /out/state /var/lib/camvault
ENV CAMVAULT_LISTEN=0.0.0.0:8080 \
    CAMVAULT_DATA_DIR=/var/lib/camvault/data \
    CAMVAULT_KEY_VAULT_DIR=/var/lib/camvault/data.keys
WORKDIR /var/lib/camvault
VOLUME ["/var/lib/camvault"]
EXPOSE 8080
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/camvault"]
CMD ["serve"]
