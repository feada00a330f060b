# lsms-serve container image.
#
# CPU (default), from Debian 12 packages only:
#   podman build -t lsms-serve:cpu .        (or docker build)
#
# GPU: Debian's libtorch is CPU-only. The GPU variant installs the CUDA toolkit
# from NVIDIA's Debian 12 repository into the build stage (libtorch's CMake
# config needs nvcc and the CUDA headers) and PyTorch's CUDA wheel with NVIDIA's
# runtime wheels from the Python package index (model/requirements-cuda.txt,
# hash-pinned, through `scripts/install-deps --with-cuda-torch`, as in CI):
#   docker build --build-arg VARIANT=cuda -t lsms-serve:cuda .
# The runtime stage carries libtorch and the NVIDIA libraries from those wheels
# (CUDA runtime, cuBLAS, cuDNN, NCCL; ~4 GB); the host needs only the NVIDIA
# driver (>= 580 for CUDA 13) and the NVIDIA container toolkit (run with
# --gpus all). CMake then compiles the CUDA-only code (streams per instance,
# device memory metrics).
ARG BASE_IMAGE=debian:bookworm-slim

FROM ${BASE_IMAGE} AS build
ARG VARIANT=cpu
ARG CUDA_REPO=https://developer.download.nvidia.com/compute/cuda/repos/debian12/x86_64
ARG CUDA_TOOLKIT=cuda-toolkit-13-0
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
WORKDIR /src
# The project's own installer, exactly as on a developer machine.
COPY scripts/install-deps scripts/install-deps
COPY model/requirements-cuda.txt model/requirements-cuda.txt
RUN scripts/install-deps && apt-get clean && rm -rf /var/lib/apt/lists/*
# hadolint ignore=DL3008
RUN if [ "$VARIANT" = cuda ]; then \
      apt-get update; \
      apt-get install -y --no-install-recommends ca-certificates curl; \
      curl -fsSLo /tmp/cuda-keyring.deb "$CUDA_REPO/cuda-keyring_1.1-1_all.deb"; \
      dpkg -i /tmp/cuda-keyring.deb; rm /tmp/cuda-keyring.deb; \
      apt-get update; \
      apt-get install -y --no-install-recommends "$CUDA_TOOLKIT"; \
      PATH=/usr/local/cuda/bin:$PATH scripts/install-deps --with-cuda-torch; \
      apt-get clean; rm -rf /var/lib/apt/lists/* /root/.cache/pip; \
    fi
COPY . .
# CCACHE_DIR may be bind-mounted by the build (tests do) to reuse a host cache.
ENV CCACHE_DIR=/ccache CCACHE_BASEDIR=/src CCACHE_NOHASHDIR=1
RUN set -eux; \
    preset=default; build=build; \
    if [ "$VARIANT" = cuda ]; then preset=cuda; build="build-cuda"; fi; \
    PATH=/usr/local/cuda/bin:$PATH cmake --preset "$preset" -DLSMS_BUILD_TESTS=OFF; \
    cmake --build "$build" --target lsms-server lsms-client -j"$(nproc)"; \
    mkdir -p /out/bin /out/opt/pytorch; \
    cp "$build/server/lsms-server" "$build/client/lsms-client" /out/bin/; \
    if [ "$VARIANT" = cuda ]; then \
      site=$(readlink -f .venv-cuda/libtorch/..); \
      mkdir -p /out/opt/pytorch/torch; \
      cp -a "$site/torch/lib" /out/opt/pytorch/torch/lib; \
      cp -a "$site/nvidia" /out/opt/pytorch/nvidia; \
    fi

FROM ${BASE_IMAGE} AS runtime
ARG VARIANT=cpu
# Runtime libraries only. libdcmtk17 carries DCMTK's data dictionary
# (/usr/share/libdcmtk17/dicom.dic), which the server checks at start-up.
# Versions come from the base image's Debian release; $pkgs is split on purpose.
# hadolint ignore=DL3008,SC2086
RUN set -eux; apt-get update; \
    pkgs="libgrpc++1.51 libprotobuf32 libdcmtk17 libabsl20220623 libprometheus-cpp-core1.0 libpng16-16 \
          libopenblas0-pthread ca-certificates"; \
    if [ "$VARIANT" = cpu ]; then pkgs="$pkgs libtorch1.13"; else pkgs="$pkgs libgomp1"; fi; \
    apt-get install -y --no-install-recommends $pkgs; \
    apt-get clean; rm -rf /var/lib/apt/lists/*; \
    useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin lsms
COPY --from=build /out/bin/ /usr/local/bin/
COPY --from=build /out/opt/ /opt/
# libtorch_cuda finds NVIDIA's libraries through its RPATH ($ORIGIN/../../nvidia).
ENV LD_LIBRARY_PATH=/opt/pytorch/torch/lib
COPY models/nano/lsms-nano.safetensors /app/models/nano/lsms-nano.safetensors
COPY samples/ /app/samples/
WORKDIR /app
USER 10001:10001
EXPOSE 50051 9464
# With TLS on, give the check the CA (and, under mutual TLS, a client
# certificate): LSMS_HEALTH_FLAGS="--ca=/etc/lsms/tls/ca.crt" (the certificate
# must name localhost). Health needs no token.
ENV LSMS_HEALTH_FLAGS=""
# Shell form on purpose: $LSMS_HEALTH_FLAGS is expanded at check time.
# hadolint ignore=DL3025
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD lsms-client health --target=localhost:50051 --deadline=2s $LSMS_HEALTH_FLAGS
ENTRYPOINT ["lsms-server", "--checkpoint=/app/models/nano/lsms-nano.safetensors", "--listen=0.0.0.0:50051", "--metrics_listen=0.0.0.0:9464"]
