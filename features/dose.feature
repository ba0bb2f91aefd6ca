Feature: dose (placeholder)
