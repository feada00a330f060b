FROM debian:bookworm-slim
RUN cd /tmp && apt-get update && apt-get install -y curl
CMD curl
