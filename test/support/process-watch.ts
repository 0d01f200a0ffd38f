/** Records unhandled rejections and uncaught exceptions until `dispose()`. */
export function watchProcess(): { problems: unknown[]; dispose(): void } {
  const problems: unknown[] = [];
  const onProblem = (reason: unknown) => problems.push(reason);
  process.on('unhandledRejection', onProblem);
  process.on('uncaughtException', onProblem);
  return {
    problems,
    dispose() {
      process.off('unhandledRejection', onProblem);
      process.off('uncaughtException', onProblem);
    },
  };
}
