Feature: verdict (placeholder)
