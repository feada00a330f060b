# lsms-serve container image.
#
# CPU (default), from Debian 12 packages only:
#   podman build -t lsms-serve:cpu .        (or docker build)
#
# GPU: Debian's libtorch is CPU-only, so the GPU variant links a CUDA-enabled
# libtorch that you provide in the build context:
#   third_party/libtorch-cuda/   = the official LibTorch 1.13.1 "cxx11 ABI"
#                                  CUDA 11.7 zip, unpacked (libtorch/{include,lib,share})
#   docker build --build-arg VARIANT=cuda -t lsms-serve:cuda .
# The zip bundles the CUDA runtime, cuBLAS and cuDNN; the host needs only the
# NVIDIA driver and the container toolkit (run with --gpus all). CMake then
# compiles the CUDA-only code (streams per instance, device memory metrics).
ARG BASE_IMAGE=debian:bookworm-slim

FROM ${BASE_IMAGE} AS build
ARG VARIANT=cpu
WORKDIR /src
# The project's own installer, exactly as on a developer machine.
COPY scripts/install-deps scripts/install-deps
RUN scripts/install-deps && apt-get clean && rm -rf /var/lib/apt/lists/*
COPY . .
# CCACHE_DIR may be bind-mounted by the build (tests do) to reuse a host cache.
ENV CCACHE_DIR=/ccache CCACHE_BASEDIR=/src CCACHE_NOHASHDIR=1
RUN set -eux; \
    torch_args=""; \
    if [ "$VARIANT" = cuda ]; then \
      test -d third_party/libtorch-cuda/share/cmake/Torch || { echo "VARIANT=cuda needs third_party/libtorch-cuda (see Dockerfile)"; exit 1; }; \
      mkdir -p /opt && cp -a third_party/libtorch-cuda /opt/libtorch; \
      torch_args="-DTorch_DIR=/opt/libtorch/share/cmake/Torch"; \
    fi; \
    cmake --preset default -DLSMS_BUILD_TESTS=OFF $torch_args; \
    cmake --build build --target lsms-server lsms-client -j"$(nproc)"; \
    mkdir -p /out/bin /out/opt; \
    cp build/server/lsms-server build/client/lsms-client /out/bin/; \
    if [ "$VARIANT" = cuda ]; then cp -a /opt/libtorch /out/opt/libtorch; fi

FROM ${BASE_IMAGE} AS runtime
ARG VARIANT=cpu
# Runtime libraries only. libdcmtk17 carries DCMTK's data dictionary
# (/usr/share/libdcmtk17/dicom.dic), which the server checks at start-up.
RUN set -eux; apt-get update; \
    pkgs="libgrpc++1.51 libprotobuf32 libdcmtk17 libabsl20220623 libprometheus-cpp-core1.0 libpng16-16 \
          libopenblas0-pthread ca-certificates"; \
    if [ "$VARIANT" = cpu ]; then pkgs="$pkgs libtorch1.13"; else pkgs="$pkgs libgomp1"; fi; \
    apt-get install -y --no-install-recommends $pkgs; \
    apt-get clean; rm -rf /var/lib/apt/lists/*; \
    useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin lsms
COPY --from=build /out/bin/ /usr/local/bin/
COPY --from=build /out/opt/ /opt/
ENV LD_LIBRARY_PATH=/opt/libtorch/lib
COPY models/nano/lsms-nano.safetensors /app/models/nano/lsms-nano.safetensors
COPY samples/ /app/samples/
WORKDIR /app
USER 10001:10001
EXPOSE 50051 9464
# With TLS on, give the check the CA (and, under mutual TLS, a client
# certificate): LSMS_HEALTH_FLAGS="--ca=/etc/lsms/tls/ca.crt" (the certificate
# must name localhost). Health needs no token.
ENV LSMS_HEALTH_FLAGS=""
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD lsms-client health --target=localhost:50051 --deadline=2s $LSMS_HEALTH_FLAGS
ENTRYPOINT ["lsms-server", "--checkpoint=/app/models/nano/lsms-nano.safetensors", \
            "--listen=0.0.0.0:50051", "--metrics_listen=0.0.0.0:9464"]
