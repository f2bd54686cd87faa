/** The projector's side of the control plane: registration, commands, the partitions' gates. */
export * from './control';
export * from './gate';
