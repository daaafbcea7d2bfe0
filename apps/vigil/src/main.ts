import 'reflect-metadata';
import { hello } from '#vigil/common';
console.log(hello());
