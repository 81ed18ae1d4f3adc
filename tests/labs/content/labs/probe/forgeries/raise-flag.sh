#!/bin/bash
# forgery: Raises the flag the way the task asks (a shortcut the checks cannot tell apart)
# class: shallow
# targets: raise-flag
[ "$1" = before ] && echo up > ~/flag
