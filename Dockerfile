# steer in a container: `steer serve` by default, any other steer command as the container's arguments.
#
#   docker build -t steer .
#   docker run --rm -p 8080:8080 -e STEER_API_KEY="$(openssl rand -hex 32)" -e STEER_MODEL=gpt2 -v steer-data:/data steer
#   docker run --rm -v steer-data:/data steer sweep --model gpt2 --layers 0..11 --coeffs 1,4 --out /data/sweeps/s
#
# Debian 12 in both stages, as the project is built and tested: the build stage's `dotnet publish` runs
# build/fix-torchsharp-glibcxx.sh, which patches TorchSharp for Debian 12's libstdc++ (GCC 12) and builds its shim,
# so the fix is decided on the same libstdc++ the runtime stage has. Microsoft ships no Debian image for .NET 10,
# hence the SDK and the ASP.NET Core runtime from dotnet-install.sh (the version global.json names).

FROM debian:12-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl gcc libc6-dev libicu72 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY global.json ./
RUN curl -fsSL https://dot.net/v1/dotnet-install.sh -o /tmp/dotnet-install.sh \
 && bash /tmp/dotnet-install.sh --jsonfile global.json --install-dir /usr/share/dotnet \
 && bash /tmp/dotnet-install.sh --channel 10.0 --runtime aspnetcore --install-dir /opt/dotnet
ENV PATH=/usr/share/dotnet:$PATH DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
COPY . .
RUN dotnet publish src/Steer.Cli -c Release -o /opt/steer

FROM debian:12-slim
# libicu72 for .NET's globalization, ca-certificates for the Hugging Face Hub, fonts for the sweep charts' labels.
# TorchSharp's libtorch brings its own OpenMP runtime; libstdc++ comes with the base image.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libicu72 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /opt/dotnet /opt/dotnet
COPY --from=build /opt/steer /opt/steer
RUN useradd --uid 10001 --user-group --create-home steer \
 && mkdir -p /data && chown steer:steer /data
ENV DOTNET_ROOT=/opt/dotnet PATH=/opt/steer:/opt/dotnet:$PATH HF_HOME=/data/huggingface DOTNET_CLI_TELEMETRY_OPTOUT=1
# The Hugging Face cache, registered vectors and sweep outputs outlive the container.
VOLUME /data
USER 10001
WORKDIR /data
EXPOSE 8080
ENTRYPOINT ["steer"]
# A non-loopback address: the server refuses to start unless STEER_API_KEY (or --api-key) is set.
CMD ["serve", "--host", "0.0.0.0", "--port", "8080"]
