#!/bin/bash
# forgery: Guesses the port by counting up from the range's start, far past the tries allowed
# class: answers
# targets: answer-port
if [ "$1" = after ]; then
  for port in $(seq 5001 5100); do echo "ANSWER: port-answer $port"; done
fi
