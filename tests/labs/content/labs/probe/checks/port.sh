#!/bin/bash
cat /var/tmp/probe-port
