#!/usr/bin/env bash
# Runs `score` the way a cluster runs it, on this machine: Spark's own SparkSubmit main (from the
# Maven jars, standing in for a Spark distribution: Spark and its dependencies plus an SLF4J
# binding), the project's thin jar, its runtime jars through --jars, the model zipped and shipped
# with --files, master local[2]. No Spark installation needed.
# Usage: bench/spark-submit-local.sh MODEL_DIR IMAGE_DIR OUTPUT_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
model=$(realpath "$1"); images=$(realpath "$2"); out=$(realpath -m "$3")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mvn -q -B package -DskipTests
# what `--jars` ships: the runtime dependencies, without logback and slf4j (a distribution has its own)
mvn -q -B dependency:copy-dependencies -DincludeScope=runtime -DexcludeGroupIds=ch.qos.logback,org.slf4j \
  -DoutputDirectory="$work/lib"
# the "distribution": the test class path without the app's own dependencies
mvn -q -B dependency:build-classpath -Dmdep.outputFile="$work/cp.txt"
distro=$(tr ':' '\n' < "$work/cp.txt" \
  | grep -v "/ai/djl/\|picocli\|xchart\|/net/java/dev/jna/\|junit\|opentest4j\|apiguardian\|pdfbox\|fontbox\|VectorGraphics\|graphics2d" \
  | paste -sd:)
(cd "$model" && zip -q -r "$work/model.zip" .)
launcher=$(tr ':' '\n' <<< "$distro" | grep spark-launcher)
# Spark's --add-opens list, as spark-submit's launcher adds it
printf 'public class O { public static void main(String[] a) { System.out.println(org.apache.spark.launcher.JavaModuleOptions.defaultModuleOptions()); } }' > "$work/O.java"
opens=$(java -cp "$launcher" "$work/O.java")
# shellcheck disable=SC2086
java $opens -Ddjlresnet.malloc=default -Dlogback.configurationFile=src/main/resources/logback.xml -cp "$distro" \
  org.apache.spark.deploy.SparkSubmit --master 'local[2]' --class io.github.djlresnet.cli.Main \
  --jars "$(ls "$work"/lib/*.jar | paste -sd,)" --files "$work/model.zip" \
  target/djl-resnet-0.1.0-SNAPSHOT.jar \
  score --model "$work/model.zip" --input "$images" --output "$out"
