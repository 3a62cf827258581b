# CUDA build of amkd. Base: NVIDIA's CUDA 13.0 devel image with cuDNN (nvcc, cuBLAS, NCCL
# headers), pinned by tag; LibTorch: the pinned torch wheel of scripts/requirements.txt
# (torch==2.15.0, CUDA 13.2 build). The build step is scripts/setup.sh, the script CI runs, so the
# image installs and builds exactly what the tests exercise.
#   docker build -t amkd .
#   docker run --gpus all -v $PWD/runs:/opt/amkd/runs amkd train recipes/quickstart.yaml
FROM nvidia/cuda:13.0.0-cudnn-devel-ubuntu22.04

# Python 3.11 for the venv (the torch wheel is built for it, as on Debian 12); setup.sh installs
# the rest with apt-get.
ENV DEBIAN_FRONTEND=noninteractive \
    AMKD_HOST_PYTHON=python3.11 \
    AMKD_VENV=/opt/amkd-venv \
    AMKD_MODELS=/opt/amkd-models \
    TORCH_CUDA_ARCH_LIST="8.0;8.6;8.9;9.0"
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends python3.11 python3.11-venv ca-certificates \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/amkd
COPY . .
RUN AMKD_CMAKE_ARGS="-DAMKD_CUDA=ON" ./scripts/setup.sh \
 && rm -rf /var/lib/apt/lists/* /root/.cache/pip

ENV PATH=/opt/amkd/build:$PATH
ENTRYPOINT ["amkd"]
CMD ["--help"]
