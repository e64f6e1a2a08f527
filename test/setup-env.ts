// @peculiar/x509 relies on tsyringe, which needs the Reflect metadata polyfill before its first import.
import 'reflect-metadata';
