/** The image a recipe gets when it names none: per IDE for workspaces, a Python base otherwise. */
export const DEFAULT_IMAGES = {
  jupyter: 'quay.io/jupyter/scipy-notebook:latest',
  rstudio: 'docker.io/rocker/rstudio:latest',
  command: 'docker.io/library/python:3.12-slim',
} as const;
