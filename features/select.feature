Feature: select (placeholder)
