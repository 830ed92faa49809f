#!/bin/sh
# Any command at all: it prints N numbered lines, one every DELAY seconds, and a last line.
n=${1:-20}
delay=${2:-0.1}
i=1
while [ "$i" -le "$n" ]; do
  echo "line $i"
  i=$((i+1))
  sleep "$delay"
done
echo "all $n lines"
